// Finds the tokenizer that produced a dataset: the file dataset.json names, checked against its recorded fingerprint.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>Loads the tokenizer recorded in a dataset's header (<c>tokenizer.name</c> as written by <c>maskedsft prepare</c>).</summary>
public static class DatasetTokenizer
{
    /// <summary>The tokenizer file or folder to use for a dataset: <paramref name="explicitPath"/> when given, else the one
    /// its header records; null when that is not an existing file or folder here.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="explicitPath">A path the user chose, or null.</param>
    /// <returns>The path, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static string? Locate(EpisodeDataset dataset, string? explicitPath = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var path = explicitPath ?? dataset.Header.Tokenizer?.Name;
        return path is { Length: > 0 } && (File.Exists(path) || Directory.Exists(path)) ? path : null;
    }

    /// <summary>Whether <paramref name="tokenizer"/> is the one that produced <paramref name="dataset"/>: true unless the header
    /// records a fingerprint that differs from the tokenizer's.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="tokenizer">A loaded tokenizer.</param>
    /// <returns>False on a fingerprint mismatch.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static bool Matches(EpisodeDataset dataset, BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return dataset.Header.Tokenizer?.Fingerprint is not { Length: > 0 } expected || string.Equals(expected, tokenizer.Fingerprint, StringComparison.Ordinal);
    }

    /// <summary>Loads the tokenizer file named in <paramref name="dataset"/>'s header when it exists and, if the header
    /// records a fingerprint, the file's fingerprint matches it.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="tokenizer">The tokenizer, or null.</param>
    /// <param name="reason">Why no tokenizer was loaded (null when one was).</param>
    /// <returns>Whether a tokenizer was loaded.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static bool TryLoad(EpisodeDataset dataset, out BpeTokenizer? tokenizer, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        tokenizer = null;
        if (dataset.Header.Tokenizer?.Name is not { Length: > 0 } name)
        {
            reason = $"{dataset.DirectoryPath}: dataset.json names no tokenizer";
            return false;
        }

        if (Locate(dataset) is null)
        {
            reason = $"the dataset's tokenizer '{name}' is not a file here";
            return false;
        }

        BpeTokenizer loaded;
        try
        {
            loaded = BpeTokenizer.Load(name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TokenizerFormatException)
        {
            reason = $"the dataset's tokenizer '{name}' could not be read ({e.Message})";
            return false;
        }

        if (!Matches(dataset, loaded))
        {
            reason = $"'{name}' has fingerprint {loaded.Fingerprint} but the dataset was tokenized with {dataset.Header.Tokenizer.Fingerprint}";
            return false;
        }

        tokenizer = loaded;
        reason = null;
        return true;
    }
}
