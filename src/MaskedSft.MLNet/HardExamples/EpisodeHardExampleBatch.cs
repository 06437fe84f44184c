// An IHardExampleBatch over rows of an EpisodeBatch: key = episode key and window start, text = decoded supervised targets.
using System.Globalization;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;

namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// Hard-example payload of selected rows of an <see cref="EpisodeBatch"/>, as the trainer offers them to its tracker.
/// A sample is one row: its key (<see cref="KeyOf"/>) is the episode's stable key and the row's window start, so the same
/// window met again in a later epoch is the same sample; its global index is the episode's index in the dataset; its text
/// is the row's supervised targets (the trained tokens, <see cref="EffectiveMask"/>) decoded by the decoder.
/// The view reads the batch when asked, so use it before the loader refills the batch.
/// </summary>
public sealed class EpisodeHardExampleBatch : IHardExampleBatch
{
    private readonly EpisodeBatch _batch;
    private readonly int[] _rows;
    private readonly ITokenDecoder _decoder;
    private readonly long _ignoreIndex;
    private readonly bool _useLossMask;

    /// <summary>Creates the view.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="rows">The batch rows that are the samples, in order (e.g. the rows with supervised targets).</param>
    /// <param name="decoder">Turns the supervised targets into text.</param>
    /// <param name="ignoreIndex">The target value that is never trained.</param>
    /// <param name="useLossMask">Whether the loss mask selects the trained targets (false: every real target is trained).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A row is outside the batch.</exception>
    public EpisodeHardExampleBatch(EpisodeBatch batch, int[] rows, ITokenDecoder decoder, long ignoreIndex, bool useLossMask = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(decoder);
        foreach (var row in rows)
        {
            if ((uint)row >= (uint)batch.Rows)
                throw new ArgumentOutOfRangeException(nameof(rows), row, $"row {row} is outside the batch of {batch.Rows} rows.");
        }

        _batch = batch;
        _rows = rows;
        _decoder = decoder;
        _ignoreIndex = ignoreIndex;
        _useLossMask = useLossMask;
    }

    /// <inheritdoc />
    public int Count => _rows.Length;

    /// <summary>The de-duplication key of a sample: <c>{episode key as 16 hex digits}@{window start}</c>.</summary>
    /// <param name="episodeKey">The episode's stable key.</param>
    /// <param name="windowStart">The token offset of the row's window in its episode.</param>
    /// <returns>The key.</returns>
    public static string KeyOf(ulong episodeKey, int windowStart) =>
        string.Create(CultureInfo.InvariantCulture, $"{episodeKey:x16}@{windowStart}");

    /// <summary>The keys of the samples, in order.</summary>
    /// <returns>One key per sample.</returns>
    public string[] Keys()
    {
        var keys = new string[_rows.Length];
        for (var i = 0; i < keys.Length; i++) keys[i] = KeyOf(_batch.EpisodeKeys[_rows[i]], _batch.WindowStarts[_rows[i]]);
        return keys;
    }

    /// <inheritdoc />
    public long GetGlobalIndex(int sample) => _batch.EpisodeIndices[_rows[sample]];

    /// <inheritdoc />
    public string GetText(int sample)
    {
        var row = _rows[sample];
        var targets = _batch.TargetRow(row);
        var mask = _useLossMask ? _batch.LossMaskRow(row) : [];
        Span<int> ids = targets.Length <= 1024 ? stackalloc int[targets.Length] : new int[targets.Length];
        var n = 0;
        for (var t = 0; t < targets.Length; t++)
        {
            if (EffectiveMask.IsSupervisedAt(targets, mask, t, _ignoreIndex)) ids[n++] = checked((int)targets[t]);
        }

        return _decoder.Decode(ids[..n]);
    }

    /// <inheritdoc />
    /// <remarks>Episode datasets hold no images: always null.</remarks>
    public byte[]? GetThumbnailPng(int sample) => null;
}
