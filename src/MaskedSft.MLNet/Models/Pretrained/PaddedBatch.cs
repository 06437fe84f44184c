// Packs token id lists of different lengths into one (B, T) tensor with a (B, T) attention mask, padding left or right.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Builds padded (B, T) id and mask tensors from ragged token lists.</summary>
public static class PaddedBatch
{
    /// <summary>Pads the rows to the longest one.</summary>
    /// <param name="rows">Token ids per row (each non-empty).</param>
    /// <param name="padId">The id written into padding slots.</param>
    /// <param name="leftPadding">Pad at the start (generation prompts) instead of the end.</param>
    /// <returns>(B, T) int64 ids and (B, T) int64 mask (1 = real) on the CPU, in the current scope.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="rows"/> is null.</exception>
    /// <exception cref="ArgumentException">There are no rows or a row is empty.</exception>
    public static (Tensor Ids, Tensor Mask) Build(IReadOnlyList<IReadOnlyList<int>> rows, long padId, bool leftPadding)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("at least one row is needed.", nameof(rows));
        var width = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null || rows[i].Count == 0) throw new ArgumentException($"row {i} is empty.", nameof(rows));
            width = Math.Max(width, rows[i].Count);
        }

        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var offset = r * width + (leftPadding ? width - row.Count : 0);
            ids.AsSpan(r * width, width).Fill(padId);
            for (var i = 0; i < row.Count; i++)
            {
                ids[offset + i] = row[i];
                mask[offset + i] = 1;
            }
        }

        return (Tensor.FromArray(ids, rows.Count, width), Tensor.FromArray(mask, rows.Count, width));
    }
}
