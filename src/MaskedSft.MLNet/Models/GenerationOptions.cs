// Settings of CausalLmGeneration.Generate: greedy (temperature 0) or sampled with temperature and top-k, and a stop token.
namespace MaskedSft.MLNet.Models;

/// <summary>Options of <see cref="CausalLmGeneration.Generate(ICausalLm, MaskedSft.Torch.Tensor, GenerationOptions?)"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>Number of tokens to append (default 16).</summary>
    public int MaxNewTokens { get; init; } = 16;

    /// <summary>0 = greedy (argmax); &gt; 0 samples from softmax(logits / Temperature) (default 0).</summary>
    public double Temperature { get; init; }

    /// <summary>When sampling, keep only the k most likely tokens (null = all).</summary>
    public int? TopK { get; init; }

    /// <summary>Seed of the sampling generator (default 1234); the same seed gives the same samples.</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>Stop a row once it produced this token (it is kept); null never stops early.</summary>
    public int? StopToken { get; init; }

    /// <summary>Greedy decoding of <paramref name="maxNewTokens"/> tokens.</summary>
    /// <param name="maxNewTokens">Number of tokens.</param>
    /// <returns>The options.</returns>
    public static GenerationOptions Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens };
}
