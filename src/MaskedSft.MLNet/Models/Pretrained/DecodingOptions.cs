// Settings of KV-cache generation: length, greedy or sampled (temperature, top-k, top-p, seed), stop and pad tokens.
namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// How <see cref="CausalLmGenerator"/> continues prompts. Greedy by default; with <see cref="DoSample"/> the logits are
/// divided by <see cref="Temperature"/>, cut to the <see cref="TopK"/> most likely tokens, then to the smallest set whose
/// probability reaches <see cref="TopP"/> (transformers' order), and sampled.
/// </summary>
public sealed record DecodingOptions
{
    /// <summary>Most new tokens per row (default 32).</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>Sample instead of taking the most likely token (default false = greedy).</summary>
    public bool DoSample { get; init; }

    /// <summary>Divides the logits before sampling (default 1).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep the k most likely tokens when sampling; 0 = all (default).</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p when sampling; 1 = all (default).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling generator (default 0); the same seed, model and prompts give the same samples.</summary>
    public ulong Seed { get; init; }

    /// <summary>Tokens that end a row (it is kept); null = the model's generation config's eos ids.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }

    /// <summary>The id of left padding and of the slots after a row ended; null = the generation config's pad id, else its
    /// first eos id, else 0.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Greedy decoding of up to <paramref name="maxNewTokens"/> tokens.</summary>
    /// <param name="maxNewTokens">Most new tokens.</param>
    /// <returns>The options.</returns>
    public static DecodingOptions Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens };

    /// <summary>The decoding a model's generation_config.json asks for (do_sample, temperature, top_k, top_p, eos, pad).</summary>
    /// <param name="config">The generation config.</param>
    /// <param name="maxNewTokens">Most new tokens; null = the config's max_new_tokens, else 32.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    public static DecodingOptions FromGenerationConfig(GenerationConfig config, int? maxNewTokens = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new DecodingOptions
        {
            MaxNewTokens = maxNewTokens ?? config.MaxNewTokens ?? 32,
            DoSample = config.DoSample,
            Temperature = config.Temperature,
            TopK = config.TopK,
            TopP = config.TopP,
            EosTokenIds = config.EosTokenIds,
            PadTokenId = config.PadTokenId,
        };
    }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxNewTokens, nameof(MaxNewTokens));
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be finite and > 0 (use DoSample = false for greedy).");
        ArgumentOutOfRangeException.ThrowIfNegative(TopK, nameof(TopK));
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
    }
}
