// Neural-network functions: linear, layer_norm, rms_norm, embedding, dropout, cross_entropy, nll_loss, mse_loss, interpolate.
namespace MaskedSft.Torch;

public static partial class TorchOps
{
    /// <summary>input @ weight^T + bias. On CUDA with a bias (outside autocast, where the library has its CUDA kernels)
    /// the bias gradient is summed by a column-sum kernel in float32; values and the other gradients are ATen's.</summary>
    /// <param name="input">(..., in).</param>
    /// <param name="weight">(out, in).</param>
    /// <param name="bias">(out), or null.</param>
    /// <returns>(..., out).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="weight"/> is null.</exception>
    /// <exception cref="TorchException">The feature sizes do not match.</exception>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        return Tensor.Wrap(NativeMethods.msft_linear(input.Handle, weight.Handle, Tensor.HandleOf(bias)), "linear", input, weight, bias);
    }

    /// <summary>Layer normalization over the trailing dimensions given by <paramref name="normalizedShape"/>. On CUDA
    /// (outside autocast, rows up to 65536 wide, where the library has its CUDA kernels) one fused kernel forward, one for the
    /// input gradient and one for the weight and bias gradients; elsewhere ATen's layer_norm. The same values within float32 summation
    /// order.</summary>
    /// <param name="input">(..., *normalizedShape).</param>
    /// <param name="normalizedShape">The trailing shape normalized over.</param>
    /// <param name="weight">Scale of that shape, or null.</param>
    /// <param name="bias">Shift of that shape, or null.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <returns>The normalized tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="TorchException">The shapes do not match.</exception>
    public static Tensor LayerNorm(Tensor input, ReadOnlySpan<long> normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        unsafe
        {
            fixed (long* p = normalizedShape)
            {
                var h = NativeMethods.msft_layer_norm(input.Handle, p, normalizedShape.Length, Tensor.HandleOf(weight), Tensor.HandleOf(bias), eps);
                return Tensor.Wrap(h, "layer_norm", input, weight, bias);
            }
        }
    }

    /// <summary>RMS normalization over the last <paramref name="normalizedDims"/> dimensions:
    /// x / sqrt(mean(x^2) + eps) * weight (half/bfloat16 inputs are normalized in float32, then cast back), as one
    /// autograd function that keeps only the input and the per-row 1/rms for backward; on CUDA (rows up to 65536 wide,
    /// where the library has its CUDA kernels) one fused kernel each way.</summary>
    /// <param name="input">The input.</param>
    /// <param name="weight">Scale over the normalized dimensions, or null.</param>
    /// <param name="eps">Added to the mean square.</param>
    /// <param name="normalizedDims">How many trailing dimensions to normalize over.</param>
    /// <returns>The normalized tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="TorchException">The weight's shape is not the normalized shape.</exception>
    public static Tensor RmsNorm(Tensor input, Tensor? weight = null, double eps = 1e-6, long normalizedDims = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Tensor.Wrap(NativeMethods.msft_rms_norm(input.Handle, normalizedDims, Tensor.HandleOf(weight), eps), "rms_norm", input, weight);
    }

    /// <summary>The SwiGLU gate of Llama / Qwen MLPs, <c>silu(gate) · up</c>, as one autograd function that keeps only
    /// its two inputs for backward (the composition <c>gate.Silu().Mul(up)</c> also keeps <c>silu(gate)</c>: one more
    /// tensor of the MLP's width per layer); values and gradients are the composition's.</summary>
    /// <param name="gate">(..., I) the gate projection's output.</param>
    /// <param name="up">(..., I) the up projection's output, the shape of <paramref name="gate"/>.</param>
    /// <returns>(..., I).</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    /// <exception cref="TorchException">The shapes differ.</exception>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        return Tensor.Wrap(NativeMethods.msft_swiglu(gate.Handle, up.Handle), "swiglu", gate, up);
    }

    /// <summary>Rotary position embeddings (Llama / Qwen's RoPE, transformers' rotate_half layout):
    /// <c>x · cos + rotate_half(x) · sin</c> with <c>rotate_half(x) = (-x[..., D/2:], x[..., :D/2])</c>. On CUDA one
    /// fused kernel each way where the library has them (float32 math, one rounding per element; the tables get no
    /// gradient there), elsewhere the composition of ATen ops.</summary>
    /// <param name="x">(B, H, T, D) queries or keys, D even; the last dimension contiguous for the fused path (a
    /// transposed view of the projections' (B, T, H, D) output is taken as it is).</param>
    /// <param name="cos">(B or 1, T, D) cosines of the positions' angles, x's dtype.</param>
    /// <param name="sin">(B or 1, T, D) sines, the shape of <paramref name="cos"/>.</param>
    /// <returns>(B, H, T, D).</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    /// <exception cref="TorchException">The shapes do not fit.</exception>
    public static Tensor RotaryEmbedding(Tensor x, Tensor cos, Tensor sin)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(cos);
        ArgumentNullException.ThrowIfNull(sin);
        return Tensor.Wrap(NativeMethods.msft_rotary_embedding(x.Handle, cos.Handle, sin.Handle), "rotary_embedding", x, cos, sin);
    }

    /// <summary>Rows of an embedding table selected by integer indices.</summary>
    /// <param name="weight">(V, D).</param>
    /// <param name="indices">int64 or int32 indices of any shape, each in [0, V).</param>
    /// <param name="paddingIndex">A row that receives no gradient, or -1.</param>
    /// <returns>(*indices.shape, D).</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    /// <exception cref="TorchException">An index is out of range.</exception>
    public static Tensor Embedding(Tensor weight, Tensor indices, long paddingIndex = -1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(indices);
        return Tensor.Wrap(NativeMethods.msft_embedding(weight.Handle, indices.Handle, paddingIndex), "embedding", weight, indices);
    }

    /// <summary>Zeroes elements with probability p and scales the others by 1/(1-p) when training; identity otherwise.</summary>
    /// <param name="input">The input.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="training">Apply dropout (false = identity).</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public static Tensor Dropout(Tensor input, double p, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1.0);
        return Tensor.Wrap(NativeMethods.msft_dropout(input.Handle, p, training), "dropout", input);
    }

    /// <summary>Cross entropy between logits and class indices (log_softmax + nll_loss in one op).</summary>
    /// <param name="logits">(N, C) or (N, C, d1, ...).</param>
    /// <param name="target">int64 class indices, (N) or (N, d1, ...); entries equal to ignoreIndex are skipped.</param>
    /// <param name="reduction">None (per element), Mean (over non-ignored) or Sum.</param>
    /// <param name="ignoreIndex">Target value that contributes no loss and no gradient.</param>
    /// <param name="labelSmoothing">Label smoothing in [0, 1].</param>
    /// <param name="weight">Per-class weights (C), or null.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> or <paramref name="target"/> is null.</exception>
    /// <exception cref="TorchException">The shapes do not match, the target is not int64, or a target is out of range.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean, long ignoreIndex = -100, double labelSmoothing = 0.0, Tensor? weight = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        return Tensor.Wrap(
            NativeMethods.msft_cross_entropy(logits.Handle, target.Handle, Tensor.HandleOf(weight), (int)reduction, ignoreIndex, labelSmoothing),
            "cross_entropy", logits, target, weight);
    }

    /// <summary>Negative log-likelihood of log-probabilities against class indices.</summary>
    /// <param name="logProbabilities">(N, C) or (N, C, d1, ...).</param>
    /// <param name="target">int64 class indices.</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <param name="ignoreIndex">Target value that contributes nothing.</param>
    /// <param name="weight">Per-class weights (C), or null.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    /// <exception cref="TorchException">The shapes do not match or a target is out of range.</exception>
    public static Tensor NllLoss(Tensor logProbabilities, Tensor target, Reduction reduction = Reduction.Mean, long ignoreIndex = -100, Tensor? weight = null)
    {
        ArgumentNullException.ThrowIfNull(logProbabilities);
        ArgumentNullException.ThrowIfNull(target);
        return Tensor.Wrap(
            NativeMethods.msft_nll_loss(logProbabilities.Handle, target.Handle, Tensor.HandleOf(weight), (int)reduction, ignoreIndex),
            "nll_loss", logProbabilities, target, weight);
    }

    /// <summary>Mean squared error.</summary>
    /// <param name="input">Predictions.</param>
    /// <param name="target">Targets (broadcastable).</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        return Tensor.Wrap(NativeMethods.msft_mse_loss(input.Handle, target.Handle, (int)reduction), "mse_loss", input, target);
    }

    /// <summary>Resizes images (N, C, H, W) to (N, C, height, width).</summary>
    /// <param name="input">(N, C, H, W) floating-point images.</param>
    /// <param name="height">Output height.</param>
    /// <param name="width">Output width.</param>
    /// <param name="mode">Bilinear or Area.</param>
    /// <param name="alignCorners">Bilinear only: align the corner pixels (torch's align_corners).</param>
    /// <returns>The resized images.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="TorchException">The input is not 4-d or a size is not positive.</exception>
    public static Tensor Interpolate(Tensor input, long height, long width, InterpolationMode mode = InterpolationMode.Bilinear, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Tensor.Wrap(NativeMethods.msft_interpolate(input.Handle, height, width, (int)mode, alignCorners), $"interpolate({mode}, {height}x{width})", input);
    }
}
