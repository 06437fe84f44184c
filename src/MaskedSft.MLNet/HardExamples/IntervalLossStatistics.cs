// Loss statistics of one logging interval: count, max, non-finite count and a quantile (exact, then P-squared past a limit).
using System.Buffers;

namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// Statistics of the finite per-sample losses of the current interval. The quantile is exact (linear interpolation between
/// order statistics, as numpy's default) while the interval holds at most <c>exactLimit</c> finite losses, kept in one sorted
/// array merged with each sorted batch; past the limit the sorted array seeds a <see cref="P2QuantileEstimator"/> and is
/// dropped, so memory stays bounded however long the interval is.
/// </summary>
internal sealed class IntervalLossStatistics
{
    private readonly double _quantile;
    private readonly int _exactLimit;
    private float[] _sorted = [];
    private float[] _merge = [];
    private int _sortedCount;
    private P2QuantileEstimator? _estimator;

    public IntervalLossStatistics(double quantile, int exactLimit)
    {
        _quantile = quantile;
        _exactLimit = exactLimit;
        Reset();
    }

    /// <summary>Finite losses seen in the interval.</summary>
    public long Count { get; private set; }

    /// <summary>Non-finite (NaN or infinite) losses seen in the interval.</summary>
    public long NonFiniteCount { get; private set; }

    /// <summary>Largest finite loss of the interval (NaN when none).</summary>
    public double Max { get; private set; }

    /// <summary>Whether the quantile is still exact.</summary>
    public bool IsExact => _estimator is null;

    /// <summary>The quantile of the interval's finite losses (NaN when none).</summary>
    public double Quantile { get; private set; }

    /// <summary>The sorted losses of the exact phase (empty after the hand-over).</summary>
    public ReadOnlySpan<float> SortedLosses => _sorted.AsSpan(0, _sortedCount);

    /// <summary>The estimator of the bounded phase, or null.</summary>
    public P2QuantileEstimator? Estimator => _estimator;

    /// <summary>Bytes held by the statistics (for memory reports).</summary>
    public long RetainedBytes => ((long)_sorted.Length + _merge.Length) * sizeof(float) + (_estimator is null ? 0 : 160);

    public void Reset()
    {
        Count = 0;
        NonFiniteCount = 0;
        Max = double.NaN;
        Quantile = double.NaN;
        _sortedCount = 0;
        _estimator = null;
    }

    /// <summary>Adds a batch of losses.</summary>
    public void Add(ReadOnlySpan<float> losses)
    {
        if (losses.IsEmpty)
        {
            return;
        }

        var pool = ArrayPool<float>.Shared;
        var batch = pool.Rent(losses.Length);
        try
        {
            int finite = 0;
            foreach (var v in losses)
            {
                if (float.IsFinite(v))
                {
                    batch[finite++] = v;
                    if (!(v <= Max))
                    {
                        Max = v;
                    }
                }
                else
                {
                    NonFiniteCount++;
                }
            }

            if (finite == 0)
            {
                return;
            }

            Count += finite;
            var values = batch.AsSpan(0, finite);
            if (_estimator is not null)
            {
                foreach (var v in values)
                {
                    _estimator.Add(v);
                }

                Quantile = _estimator.Estimate;
                return;
            }

            values.Sort();
            MergeSorted(values);
            if (_sortedCount > _exactLimit)
            {
                _estimator = new P2QuantileEstimator(_quantile);
                _estimator.InitializeFromSorted(SortedLosses);
                _sortedCount = 0;
                _sorted = [];
                _merge = [];
                Quantile = _estimator.Estimate;
            }
            else
            {
                Quantile = ExactQuantile(SortedLosses, _quantile);
            }
        }
        finally
        {
            pool.Return(batch);
        }
    }

    /// <summary>Restores the exact phase from sorted losses.</summary>
    public void RestoreExact(long count, long nonFinite, double max, ReadOnlySpan<float> sorted)
    {
        Reset();
        Count = count;
        NonFiniteCount = nonFinite;
        Max = max;
        EnsureCapacity(sorted.Length);
        sorted.CopyTo(_sorted);
        _sortedCount = sorted.Length;
        Quantile = _sortedCount == 0 ? double.NaN : ExactQuantile(SortedLosses, _quantile);
    }

    /// <summary>Restores the bounded phase from an estimator state.</summary>
    public void RestoreEstimator(long count, long nonFinite, double max, double[] heights, double[] positions, double[] desired)
    {
        Reset();
        Count = count;
        NonFiniteCount = nonFinite;
        Max = max;
        _estimator = new P2QuantileEstimator(_quantile);
        _estimator.Restore(count, heights, positions, desired);
        Quantile = _estimator.Estimate;
    }

    /// <summary>Linear-interpolated quantile of ascending <paramref name="sorted"/> (numpy's default method).</summary>
    public static double ExactQuantile(ReadOnlySpan<float> sorted, double q)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }

        double position = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(position);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        double fraction = position - lo;
        return sorted[lo] + ((sorted[hi] - (double)sorted[lo]) * fraction);
    }

    private void MergeSorted(ReadOnlySpan<float> batch)
    {
        int total = _sortedCount + batch.Length;
        EnsureCapacity(total);
        if (_merge.Length < _sorted.Length)
        {
            _merge = new float[_sorted.Length];
        }

        int i = 0, j = 0, k = 0;
        var left = _sorted;
        while (i < _sortedCount && j < batch.Length)
        {
            _merge[k++] = left[i] <= batch[j] ? left[i++] : batch[j++];
        }

        while (i < _sortedCount)
        {
            _merge[k++] = left[i++];
        }

        while (j < batch.Length)
        {
            _merge[k++] = batch[j++];
        }

        (_sorted, _merge) = (_merge, _sorted);
        _sortedCount = total;
    }

    private void EnsureCapacity(int needed)
    {
        if (_sorted.Length >= needed)
        {
            return;
        }

        int size = Math.Max(needed, Math.Max(64, Math.Min(_sorted.Length * 2, _exactLimit + 1)));
        Array.Resize(ref _sorted, size);
        _merge = new float[size];
    }
}
