// Streaming estimate of one quantile in constant memory: the P-squared algorithm of Jain and Chlamtac (1985).
namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// The P² estimator: five markers whose heights follow the minimum, the q/2, q and (1+q)/2 quantiles and the maximum,
/// adjusted by piecewise-parabolic interpolation as values arrive. O(1) time and memory per value.
/// It can start from an exactly sorted sample (<see cref="InitializeFromSorted"/>), which is how
/// <see cref="IntervalLossStatistics"/> hands over from its exact phase.
/// </summary>
internal sealed class P2QuantileEstimator
{
    private readonly double _q;
    private readonly double[] _heights = new double[5];
    private readonly double[] _positions = new double[5];
    private readonly double[] _desired = new double[5];
    private readonly double[] _increments;
    private long _count;

    public P2QuantileEstimator(double quantile)
    {
        _q = quantile;
        _increments = [0, quantile / 2, quantile, (1 + quantile) / 2, 1];
    }

    /// <summary>Number of values seen.</summary>
    public long Count => _count;

    /// <summary>The five marker heights, positions and desired positions (for checkpoints).</summary>
    public (double[] Heights, double[] Positions, double[] Desired) State => ((double[])_heights.Clone(), (double[])_positions.Clone(), (double[])_desired.Clone());

    /// <summary>Restores a state captured by <see cref="State"/>.</summary>
    public void Restore(long count, double[] heights, double[] positions, double[] desired)
    {
        if (heights.Length != 5 || positions.Length != 5 || desired.Length != 5 || count < 5)
        {
            throw new ArgumentException("a P2 estimator state has 5 heights, positions and desired positions and at least 5 values.");
        }

        _count = count;
        heights.CopyTo(_heights, 0);
        positions.CopyTo(_positions, 0);
        desired.CopyTo(_desired, 0);
    }

    /// <summary>Starts from <paramref name="sorted"/> (ascending, at least 5 values), placing the markers at their exact quantiles.</summary>
    public void InitializeFromSorted(ReadOnlySpan<float> sorted)
    {
        int n = sorted.Length;
        if (n < 5)
        {
            throw new ArgumentException("P2 initialization needs at least 5 values.", nameof(sorted));
        }

        _count = n;
        for (int i = 0; i < 5; i++)
        {
            double desired = 1 + ((n - 1) * _increments[i]);
            _desired[i] = desired;
            int position = (int)Math.Round(desired);
            position = Math.Clamp(position, 1, n);
            _positions[i] = position;
            _heights[i] = sorted[position - 1];
        }

        // Positions must be strictly increasing for the parabolic formula; spread ties apart.
        for (int i = 1; i < 5; i++)
        {
            if (_positions[i] <= _positions[i - 1])
            {
                _positions[i] = _positions[i - 1] + 1;
            }
        }

        for (int i = 3; i >= 0; i--)
        {
            if (_positions[i] >= _positions[i + 1])
            {
                _positions[i] = _positions[i + 1] - 1;
            }
        }

        for (int i = 0; i < 5; i++)
        {
            _heights[i] = sorted[(int)_positions[i] - 1];
        }
    }

    /// <summary>Adds one value (after <see cref="InitializeFromSorted"/>).</summary>
    public void Add(double x)
    {
        int k;
        if (x < _heights[0])
        {
            _heights[0] = x;
            k = 0;
        }
        else if (x >= _heights[4])
        {
            _heights[4] = x;
            k = 3;
        }
        else
        {
            k = 0;
            while (k < 3 && x >= _heights[k + 1])
            {
                k++;
            }
        }

        for (int i = k + 1; i < 5; i++)
        {
            _positions[i]++;
        }

        for (int i = 0; i < 5; i++)
        {
            _desired[i] += _increments[i];
        }

        _count++;
        for (int i = 1; i <= 3; i++)
        {
            double d = _desired[i] - _positions[i];
            if ((d >= 1 && _positions[i + 1] - _positions[i] > 1) || (d <= -1 && _positions[i - 1] - _positions[i] < -1))
            {
                int sign = d > 0 ? 1 : -1;
                double candidate = Parabolic(i, sign);
                _heights[i] = _heights[i - 1] < candidate && candidate < _heights[i + 1] ? candidate : Linear(i, sign);
                _positions[i] += sign;
            }
        }
    }

    /// <summary>The current estimate of the quantile.</summary>
    public double Estimate => _heights[2];

    private double Parabolic(int i, int d)
    {
        double n0 = _positions[i - 1], n1 = _positions[i], n2 = _positions[i + 1];
        double h0 = _heights[i - 1], h1 = _heights[i], h2 = _heights[i + 1];
        return h1 + (d / (n2 - n0) * (((n1 - n0 + d) * (h2 - h1) / (n2 - n1)) + ((n2 - n1 - d) * (h1 - h0) / (n1 - n0))));
    }

    private double Linear(int i, int d) => _heights[i] + (d * (_heights[i + d] - _heights[i]) / (_positions[i + d] - _positions[i]));
}
