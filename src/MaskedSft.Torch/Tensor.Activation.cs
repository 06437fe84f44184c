// Activation and softmax functions as tensor methods: gelu, silu, relu, softmax, log_softmax.
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>GELU, exact (erf form) or with the tanh approximation.</summary>
    /// <param name="tanhApproximation">Use 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))).</param>
    /// <returns>The activations.</returns>
    public Tensor Gelu(bool tanhApproximation = false) => Wrap(NativeMethods.msft_gelu(Handle, tanhApproximation), "gelu", this);

    /// <summary>SiLU (swish): x * sigmoid(x).</summary>
    /// <returns>The activations.</returns>
    public Tensor Silu() => Wrap(NativeMethods.msft_silu(Handle), "silu", this);

    /// <summary>ReLU: max(x, 0).</summary>
    /// <returns>The activations.</returns>
    public Tensor Relu() => Wrap(NativeMethods.msft_relu(Handle), "relu", this);

    /// <summary>Softmax along a dimension.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="dtype">Compute (and return) in this dtype, e.g. Float32 for bfloat16 logits.</param>
    /// <returns>Probabilities summing to 1 along dim.</returns>
    public Tensor Softmax(long dim, ScalarType? dtype = null) =>
        Wrap(NativeMethods.msft_softmax(Handle, dim, dtype.HasValue ? (int)dtype.Value : -1), "softmax", this);

    /// <summary>Log-softmax along a dimension, computed stably.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="dtype">Compute (and return) in this dtype.</param>
    /// <returns>Log-probabilities along dim.</returns>
    public Tensor LogSoftmax(long dim, ScalarType? dtype = null) =>
        Wrap(NativeMethods.msft_log_softmax(Handle, dim, dtype.HasValue ? (int)dtype.Value : -1), "log_softmax", this);
}
