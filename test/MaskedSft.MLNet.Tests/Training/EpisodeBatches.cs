// Test helper: EpisodeBatch values from rows of (X, Y, mask, real length).
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Training;

internal static class EpisodeBatches
{
    /// <summary>A batch of rows[start .. start + count) of length <paramref name="t"/> with loss masks, no advantages;
    /// episode indices are the rows' positions.</summary>
    public static EpisodeBatch From((long[] X, long[] Y, float[] Mask, int Real)[] rows, int start, int count, int t)
    {
        var batch = new EpisodeBatch(count, t, hasLossMask: true, hasAdvantages: false);
        batch.Reset(count);
        for (var i = 0; i < count; i++)
        {
            var (x, y, mask, real) = rows[start + i];
            batch.SetRow(i, x, y, mask, [], real, episodeIndex: start + i);
        }

        return batch;
    }
}
