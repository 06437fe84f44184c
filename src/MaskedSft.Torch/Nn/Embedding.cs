// Lookup table mapping token ids to vectors, initialized N(0, 1) as PyTorch's nn.Embedding.
namespace MaskedSft.Torch.Nn;

/// <summary>A (count, dim) table whose rows are selected by integer ids; rows start N(0, 1) (as nn.Embedding).</summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Creates the table.</summary>
    /// <param name="count">Number of rows (vocabulary size).</param>
    /// <param name="dim">Row size.</param>
    /// <param name="paddingIndex">A row kept at zero that gets no gradient, or -1.</param>
    /// <param name="generator">Generator for the initial values (the default one when null).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the padding index is out of range.</exception>
    public Embedding(long count, long dim, long paddingIndex = -1, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfLessThan(paddingIndex, -1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(paddingIndex, count);
        PaddingIndex = paddingIndex;
        using var scope = new DisposeScope();
        var init = TorchOps.Randn([count, dim], generator, ScalarType.Float32, device ?? generator?.Device);
        if (paddingIndex >= 0)
        {
            init.Select(0, paddingIndex).Zero();
        }

        Weight = RegisterParameter("weight", new Parameter(dtype == ScalarType.Float32 ? init : init.To(dtype)));
    }

    /// <summary>The padding row, or -1.</summary>
    public long PaddingIndex { get; }

    /// <summary>The table (count, dim).</summary>
    public Parameter Weight { get; }

    /// <summary>Looks up rows.</summary>
    /// <param name="input">Integer ids of any shape.</param>
    /// <returns>(*input.shape, dim).</returns>
    /// <exception cref="TorchException">An id is out of range.</exception>
    public override Tensor Forward(Tensor input) => TorchOps.Embedding(Weight, input, PaddingIndex);
}
