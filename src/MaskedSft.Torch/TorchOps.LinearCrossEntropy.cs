// The LM head fused with a weighted cross-entropy, in chunks: values and gradients without the (N, V) logits.
namespace MaskedSft.Torch;

public static partial class TorchOps
{
    /// <summary>Logits held at once by <see cref="LinearCrossEntropy"/> when the chunk sizes are automatic: 2^25
    /// (128 MiB in float32), e.g. 220 rows of a 151,936-token vocabulary.</summary>
    public const long DefaultLinearCrossEntropyChunkElements = 1L << 25;

    /// <summary>Logits held at once by <see cref="LinearCrossEntropy"/> with automatic chunks on CUDA where the fused
    /// kernel runs (<see cref="HasFusedCrossEntropyKernel"/>): 2^28 (512 MiB in bfloat16), since the kernel turns the
    /// chunk's logits into their gradient in place and makes no float32 copy; e.g. 4 chunks of 4,096 rows at a
    /// 50,304-token vocabulary.</summary>
    public const long FusedLinearCrossEntropyChunkElements = 1L << 28;

    /// <summary>Whether this native library was built with our CUDA kernels (nvcc at build time), so
    /// <see cref="LinearCrossEntropy"/> on CUDA does each chunk's per-row softmax, loss, argmax and gradient in one fused
    /// kernel; otherwise the same arithmetic runs as ATen operations (with a float32 copy of each chunk's logits).</summary>
    public static bool HasFusedCrossEntropyKernel
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.msft_cuda_kernels() != 0;
        }
    }

    /// <summary>
    /// Cross-entropy of the logits <c>hidden · weightᵀ · scale</c> against <paramref name="targets"/>, each row's NLL times
    /// its token weight, computed in chunks so the (N, V) logits never exist whole. Forward walks chunks of
    /// <paramref name="rowChunk"/> rows and keeps only each row's logsumexp and NLL; backward recomputes the logits in
    /// chunks of <paramref name="vocabChunk"/> vocabulary columns and accepts any upstream gradient (a per-row one for
    /// <see cref="Reduction.None"/>). The softmax statistics, losses and the hidden-state gradient accumulate in float32
    /// (float64 for float64 inputs); each slice of the weight gradient is one product over all rows, as the naive head's.
    /// <para>Per row: <c>l[i] = w[i] · (logsumexp(z[i]) - z[i, t[i]])</c> with <c>z = hidden · weightᵀ · scale</c>, and
    /// <c>l[i] = 0</c> where <c>t[i]</c> is the ignore index. <see cref="Reduction.Sum"/>: <c>Σ l</c>;
    /// <see cref="Reduction.Mean"/>: <c>Σ l / max(1, #rows whose target is not the ignore index)</c>;
    /// <see cref="Reduction.None"/>: <c>l</c>.</para>
    /// </summary>
    /// <param name="hidden">(N, C) hidden states (float32, float64, bfloat16 or float16).</param>
    /// <param name="weight">(V, C) head weight, the dtype of <paramref name="hidden"/>.</param>
    /// <param name="targets">(N) integer targets in [0, V) or the ignore index.</param>
    /// <param name="tokenWeights">(N) per-row weights (e.g. loss mask × advantage), or null for 1.</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <param name="ignoreIndex">The target value that contributes nothing.</param>
    /// <param name="scale">Factor of the logits (1 / temperature); positive.</param>
    /// <param name="rowChunk">Rows per forward chunk; 0 = automatic (about <see cref="FusedLinearCrossEntropyChunkElements"/>
    /// logits on CUDA with the fused kernel, else <see cref="DefaultLinearCrossEntropyChunkElements"/>).</param>
    /// <param name="vocabChunk">Vocabulary columns per backward chunk; 0 = as many logits as a row chunk holds.</param>
    /// <returns>The loss, the per-row NLL and the argmax predictions.</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A chunk size is negative or the scale is not positive.</exception>
    /// <exception cref="TorchException">The shapes, dtypes or devices do not fit, or a target is outside the vocabulary.</exception>
    public static LinearCrossEntropyResult LinearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, Tensor? tokenWeights = null,
        Reduction reduction = Reduction.Mean, long ignoreIndex = -100, double scale = 1.0, long rowChunk = 0, long vocabChunk = 0)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfNegative(rowChunk);
        ArgumentOutOfRangeException.ThrowIfNegative(vocabChunk);
        if (!double.IsFinite(scale) || scale <= 0)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "the logit scale must be a positive finite number (1 / temperature).");
        var (rows, vocab) = (hidden.Dim == 2 ? hidden.Size(0) : 0, weight.Dim == 2 ? weight.Size(0) : 0);
        var (r, v) = LinearCrossEntropyChunks(rows, vocab, rowChunk, vocabChunk, AutomaticChunkElements(hidden.Device));
        IntPtr loss, nll, predictions;
        unsafe
        {
            Tensor.Check(
                NativeMethods.msft_linear_cross_entropy(hidden.Handle, weight.Handle, targets.Handle, Tensor.HandleOf(tokenWeights), ignoreIndex, (int)reduction, r, v, scale, &loss, &nll, &predictions),
                "linear_cross_entropy", hidden, weight);
        }

        GC.KeepAlive(targets);
        GC.KeepAlive(tokenWeights);
        return new LinearCrossEntropyResult(new Tensor(loss), new Tensor(nll), new Tensor(predictions));
    }

    /// <summary>The logits one automatic chunk of <see cref="LinearCrossEntropy"/> holds on a device:
    /// <see cref="FusedLinearCrossEntropyChunkElements"/> on CUDA with the fused kernel, else
    /// <see cref="DefaultLinearCrossEntropyChunkElements"/>.</summary>
    /// <param name="device">The hidden states' device.</param>
    /// <returns>Logits per chunk.</returns>
    public static long AutomaticChunkElements(Device device) =>
        device.IsCuda && HasFusedCrossEntropyKernel ? FusedLinearCrossEntropyChunkElements : DefaultLinearCrossEntropyChunkElements;

    /// <summary>The chunk sizes <see cref="LinearCrossEntropy"/> uses for N rows and V vocabulary entries.</summary>
    /// <param name="rows">N.</param>
    /// <param name="vocab">V.</param>
    /// <param name="rowChunk">Requested rows per forward chunk, 0 = automatic.</param>
    /// <param name="vocabChunk">Requested columns per backward chunk, 0 = as many logits as a row chunk.</param>
    /// <param name="chunkElements">Logits per automatic chunk.</param>
    /// <returns>Positive (rows, columns) per chunk.</returns>
    internal static (long Rows, long Columns) LinearCrossEntropyChunks(long rows, long vocab, long rowChunk, long vocabChunk, long chunkElements = DefaultLinearCrossEntropyChunkElements)
    {
        var n = Math.Max(rows, 1);
        var v = Math.Max(vocab, 1);
        var r = rowChunk > 0 ? rowChunk : Math.Max(1, chunkElements / v);
        var logits = Math.Min(r, n) * v;                                  // logits of one forward chunk
        var c = vocabChunk > 0 ? vocabChunk : Math.Max(1, (logits + n - 1) / n);
        return (r, Math.Min(c, v));
    }
}
