// One row of CausalLmTransformer.HardExamples: a tracked hard example as ML.NET data.
namespace MaskedSft.MLNet.Pipelines;

/// <summary>A hard example of the training run (hardest first), as a row of <see cref="CausalLmTransformer.HardExamples"/>.</summary>
public sealed class HardExampleRow
{
    /// <summary>The sample's key (<c>episode@window</c>).</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>The highest masked mean cross-entropy seen for it.</summary>
    public double Loss { get; set; }

    /// <summary>The latest step it was admitted at.</summary>
    public long Step { get; set; }

    /// <summary>The step of its highest loss.</summary>
    public long MaxLossStep { get; set; }

    /// <summary>How many times it was admitted.</summary>
    public long SeenCount { get; set; }

    /// <summary>Its supervised tokens, decoded (or ids when no tokenizer was known).</summary>
    public string Text { get; set; } = string.Empty;
}
