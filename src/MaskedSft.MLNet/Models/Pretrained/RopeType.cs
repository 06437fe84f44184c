// The rotary-embedding variants transformers names in rope_type (the ones this library computes).
namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>How the rotary embedding's inverse frequencies are computed (transformers' <c>rope_type</c>).</summary>
public enum RopeType
{
    /// <summary><c>default</c>: inv_freq[i] = 1 / theta^(2i / d).</summary>
    Default,

    /// <summary><c>linear</c>: the default frequencies divided by <c>factor</c> (position interpolation).</summary>
    Linear,

    /// <summary><c>llama3</c>: low frequencies divided by <c>factor</c>, high ones kept, a smooth blend between (Llama 3.1+).</summary>
    Llama3,
}
