// Settings of on-policy GRPO without Atropos: sampling, group size, reward scaling, the loss and the optimizer.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models.Pretrained;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>Options of <see cref="OnPolicyGrpoTrainer"/>.</summary>
public sealed record OnPolicyGrpoOptions
{
    /// <summary>Optimizer, schedule, steps (<see cref="TrainerOptions.MaxSteps"/>), seed and output directory (metrics.jsonl,
    /// token_boundaries.jsonl, run.json when set). BatchSize and the SFT-only fields are not used.</summary>
    public TrainerOptions Training { get; init; } = new() { WarmupSteps = 0, WeightDecay = 0.0 };

    /// <summary>The GRPO loss (clipping, aggregation, KL, truncation masking).</summary>
    public GrpoLossOptions Loss { get; init; } = new();

    /// <summary>Completions sampled per prompt, G (default 8; at least 2 for a non-zero advantage).</summary>
    public int GroupSize { get; init; } = 8;

    /// <summary>Prompts per step (default 2); prompts are taken round-robin in a seeded order.</summary>
    public int PromptsPerStep { get; init; } = 2;

    /// <summary>Sampling: MaxNewTokens, Temperature, TopK/TopP, eos ids (DoSample is forced on; the seed advances per step).</summary>
    public DecodingOptions Decoding { get; init; } = new() { DoSample = true, MaxNewTokens = 8 };

    /// <summary>How scores become advantages (default group).</summary>
    public RewardScaling RewardScaling { get; init; } = RewardScaling.Group;

    /// <summary>Added to the std when scaling (default 1e-4).</summary>
    public double AdvantageEpsilon { get; init; } = 1e-4;

    /// <summary>Drop zero-variance groups from the loss (default off: they stay with advantage 0).</summary>
    public bool SkipZeroVarianceGroups { get; init; }

    /// <summary>Probability that a row is written to token_boundaries.jsonl (default 0.05).</summary>
    public double BoundarySampleRate { get; init; } = 0.05;

    /// <summary>Decodes token ids for the boundary view (default: ids as text).</summary>
    public ITokenDecoder? Decoder { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        Training.Validate();
        Loss.Validate();
        Decoding.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(GroupSize, 1, nameof(GroupSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(PromptsPerStep, 1, nameof(PromptsPerStep));
        if (!double.IsFinite(AdvantageEpsilon) || AdvantageEpsilon <= 0)
            throw new ArgumentOutOfRangeException(nameof(AdvantageEpsilon), AdvantageEpsilon, "AdvantageEpsilon must be positive and finite.");
        if (!(BoundarySampleRate is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(BoundarySampleRate), BoundarySampleRate, "BoundarySampleRate must be in [0, 1].");
    }
}
