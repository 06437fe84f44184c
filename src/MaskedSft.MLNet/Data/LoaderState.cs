// The resumable position of an EpisodeDataLoader: seed, epoch, batches consumed, and a fingerprint of what it iterates.
using System.Text.Json;

namespace MaskedSft.MLNet.Data;

/// <summary>
/// Where an <see cref="EpisodeDataLoader"/> stands: the next batch is batch <see cref="Position"/> of epoch
/// <see cref="Epoch"/>, in the order given by <see cref="Seed"/> and the epoch. A checkpoint stores it (as JSON); a loader
/// created from it yields exactly the batches an uninterrupted loader would.
/// </summary>
public sealed record LoaderState
{
    /// <summary>The loader's seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>The current epoch (0-based).</summary>
    public long Epoch { get; init; }

    /// <summary>Number of batches of <see cref="Epoch"/> already yielded.</summary>
    public long Position { get; init; }

    /// <summary>
    /// A fingerprint of the dataset and the loader settings that shape the order (split, sample count, batch and block size,
    /// policies); a loader refuses a state whose fingerprint differs from its own. Null skips the check.
    /// </summary>
    public string? Fingerprint { get; init; }

    /// <summary>Serializes the state as JSON (camelCase names).</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, DataJsonContext.Default.LoaderState);

    /// <summary>Parses a state written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The state.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a loader state, or its epoch or position is negative.</exception>
    public static LoaderState FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        LoaderState? state;
        try
        {
            state = JsonSerializer.Deserialize(json, DataJsonContext.Default.LoaderState);
        }
        catch (JsonException e)
        {
            throw new FormatException($"loader state JSON is invalid (line {(e.LineNumber ?? 0) + 1}): {e.Message} Hint: pass the text written by LoaderState.ToJson.", e);
        }

        if (state is null || state.Epoch < 0 || state.Position < 0)
        {
            throw new FormatException("loader state JSON is null or has a negative epoch or position. Hint: pass the text written by LoaderState.ToJson.");
        }

        return state;
    }
}
