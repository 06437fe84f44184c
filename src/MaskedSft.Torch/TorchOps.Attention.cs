// Attention: scaled dot-product attention (fused kernels on libtorch 2.x) and its eager composition, for transformer models.
namespace MaskedSft.Torch;

public static partial class TorchOps
{
    /// <summary>
    /// softmax(q kᵀ · scale + mask) v. On libtorch 2.1+ a fused kernel runs (flash / memory-efficient on CUDA, flash on
    /// the CPU); on 1.13 it is composed from matmul and a float32 softmax (as <see cref="EagerAttention"/>).
    /// </summary>
    /// <param name="query">(B, H, Tq, D).</param>
    /// <param name="key">(B, H, Tk, D).</param>
    /// <param name="value">(B, H, Tk, Dv).</param>
    /// <param name="mask">Null, or bool (true = attend) or additive, broadcastable to (B, H, Tq, Tk). A query row must
    /// be allowed at least one key (a fully masked row gives NaN).</param>
    /// <param name="isCausal">Add the causal mask (query i attends keys 0..i; meant for Tq == Tk).</param>
    /// <param name="scale">The factor of the scores (usually 1 / sqrt(D)).</param>
    /// <returns>(B, H, Tq, Dv).</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="TorchException">The shapes, dtypes or devices do not fit.</exception>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? mask, bool isCausal, double scale)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var result = NativeMethods.msft_scaled_dot_product_attention(query.Handle, key.Handle, value.Handle, mask?.Handle ?? IntPtr.Zero, isCausal, scale);
        GC.KeepAlive(mask);
        return Tensor.Wrap(result, "scaled_dot_product_attention", query, key, value);
    }

    /// <summary>The same attention always composed as transformers' eager path does: scores in the input dtype, the
    /// softmax in float32 and cast back, then the weighted sum of values.</summary>
    /// <param name="query">(B, H, Tq, D).</param>
    /// <param name="key">(B, H, Tk, D).</param>
    /// <param name="value">(B, H, Tk, Dv).</param>
    /// <param name="mask">Null, or bool (true = attend) or additive, broadcastable to (B, H, Tq, Tk).</param>
    /// <param name="isCausal">Add the causal mask.</param>
    /// <param name="scale">The factor of the scores.</param>
    /// <returns>(B, H, Tq, Dv).</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="TorchException">The shapes, dtypes or devices do not fit.</exception>
    public static Tensor EagerAttention(Tensor query, Tensor key, Tensor value, Tensor? mask, bool isCausal, double scale)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var result = NativeMethods.msft_eager_attention(query.Handle, key.Handle, value.Handle, mask?.Handle ?? IntPtr.Zero, isCausal, scale);
        GC.KeepAlive(mask);
        return Tensor.Wrap(result, "eager_attention", query, key, value);
    }
}
