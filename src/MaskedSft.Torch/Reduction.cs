// How a loss reduces its per-element values.
namespace MaskedSft.Torch;

/// <summary>Reduction of per-element losses (values equal libtorch's codes).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element.</summary>
    None = 0,

    /// <summary>Mean over the counted elements (ignored targets excluded).</summary>
    Mean = 1,

    /// <summary>Sum over the elements.</summary>
    Sum = 2,
}
