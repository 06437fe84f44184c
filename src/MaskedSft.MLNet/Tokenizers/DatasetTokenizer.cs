// Finds the tokenizer that produced a dataset: the file dataset.json names, checked against its recorded fingerprint.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>Loads the tokenizer recorded in a dataset's header (<c>tokenizer.name</c> as written by <c>maskedsft prepare</c>).</summary>
public static class DatasetTokenizer
{
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
        var identity = dataset.Header.Tokenizer;
        if (identity?.Name is not { Length: > 0 } name)
        {
            reason = $"{dataset.DirectoryPath}: dataset.json names no tokenizer";
            return false;
        }

        if (!File.Exists(name) && !Directory.Exists(name))
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

        if (identity.Fingerprint is { Length: > 0 } expected && !string.Equals(expected, loaded.Fingerprint, StringComparison.Ordinal))
        {
            reason = $"'{name}' has fingerprint {loaded.Fingerprint} but the dataset was tokenized with {expected}";
            return false;
        }

        tokenizer = loaded;
        reason = null;
        return true;
    }
}
