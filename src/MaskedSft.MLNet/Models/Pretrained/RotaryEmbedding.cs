// Rotary position embeddings: inverse frequencies per rope type (default, linear, llama3) computed as transformers does,
// the cos/sin tables of given positions, and their application to queries and keys.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// RoPE of head width D: angle(p, i) = p · inv_freq[i] for i &lt; D/2, applied to (x[:D/2], x[D/2:]) pairs
/// (transformers' rotate_half layout). The inverse frequencies follow transformers' formulas step by step in float32.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    private readonly RopeParameters _rope;
    private readonly int _dim;
    private Tensor? _invFreq;   // (D/2) float32 on the last device asked for

    public RotaryEmbedding(RopeParameters rope, int headDim)
    {
        _rope = rope;
        _dim = headDim;
    }

    /// <summary>The inverse frequencies (D/2) in float32 on the CPU (a new tensor of the current scope).</summary>
    public static Tensor InverseFrequencies(RopeParameters rope, int dim)
    {
        // default: 1 / theta^(arange(0, D, 2) / D), in float32 as torch computes it.
        var exponents = TorchOps.Arange(0, dim, 2).To(ScalarType.Float32).Div((double)dim);                // (D/2)
        var invFreq = TorchOps.Full([dim / 2], rope.Theta, ScalarType.Float32).Pow(exponents).Reciprocal(); // (D/2)
        switch (rope.Type)
        {
            case RopeType.Linear:
                return invFreq.Div(rope.Factor);
            case RopeType.Llama3:
            {
                double factor = rope.Factor, low = rope.LowFreqFactor, high = rope.HighFreqFactor;
                double oldContext = rope.OriginalMaxPositionEmbeddings;
                var lowFreqWavelen = oldContext / low;
                var highFreqWavelen = oldContext / high;
                var wavelen = invFreq.Reciprocal().Mul(2 * Math.PI);                                        // 2π / inv_freq
                var scaled = TorchOps.Where(wavelen.Gt(lowFreqWavelen), invFreq.Div(factor), invFreq);       // long waves / factor
                var smooth = wavelen.Reciprocal().Mul(oldContext).Sub(low).Div(high - low);                 // (old / λ - low) / (high - low)
                var smoothed = smooth.Neg().Add(1.0).Mul(scaled).Div(factor).Add(smooth.Mul(scaled));         // (1 - s) · f / factor + s · f
                var medium = wavelen.Lt(highFreqWavelen).LogicalNot().LogicalAnd(wavelen.Gt(lowFreqWavelen).LogicalNot());
                return TorchOps.Where(medium, smoothed, scaled);
            }

            default:
                return invFreq;
        }
    }

    /// <summary>cos and sin of the angles of <paramref name="positions"/>, (B, T, D) each in <paramref name="dtype"/>.</summary>
    /// <param name="positions">(B, T) int64 positions on the model's device.</param>
    /// <param name="dtype">The compute dtype.</param>
    public (Tensor Cos, Tensor Sin) CosSin(Tensor positions, ScalarType dtype)
    {
        var device = positions.Device;
        if (_invFreq is null || _invFreq.Device != device)
        {
            _invFreq?.Dispose();
            using var scope = new DisposeScope();
            _invFreq = InverseFrequencies(_rope, _dim).To(device).DetachFromDisposeScope();
        }

        var freqs = positions.To(ScalarType.Float32).Unsqueeze(-1).Mul(_invFreq);                          // (B, T, D/2)
        var emb = TorchOps.Cat([freqs, freqs], -1);                                                         // (B, T, D)
        var cos = emb.Cos();
        var sin = emb.Sin();
        return dtype == ScalarType.Float32 ? (cos, sin) : (cos.To(dtype), sin.To(dtype));
    }

    /// <summary>x · cos + rotate_half(x) · sin for x (B, H, T, D) and tables (B, T, D) (one fused kernel each way on
    /// CUDA: <see cref="TorchOps.RotaryEmbedding"/>).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => TorchOps.RotaryEmbedding(x, cos, sin);

    public void Dispose()
    {
        _invFreq?.Dispose();
        _invFreq = null;
    }
}
