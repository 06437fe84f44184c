// On-policy GRPO without Atropos: sample G completions per prompt, score them with the user's reward, group advantages,
// one engine step of GrpoObjective; metrics.jsonl with the RL diagnostics, token boundaries and run.json when an output is set.
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// The on-policy GRPO loop. Each step takes <see cref="OnPolicyGrpoOptions.PromptsPerStep"/> prompts (round-robin over a
/// seeded order), samples <see cref="OnPolicyGrpoOptions.GroupSize"/> completions of each with
/// <see cref="CausalLmGenerator"/> (the current policy, seed advanced per step), scores them with the
/// <see cref="CompletionReward"/>, builds the <see cref="RlBatch"/> (<see cref="RolloutBatchBuilder"/>), writes group
/// advantages (<see cref="GroupAdvantageFill"/>) and runs one <see cref="TrainingEngine{TBatch}"/> step of
/// <see cref="GrpoObjective"/> (the generator's log-probs are the inference log-probs: the ratio is 1 up to the
/// trainer-vs-inference numerical difference, which is reported). Before the first update it runs the step-0 probe
/// (ratio and, with a reference available, KL). With an output directory it writes <c>run.json</c>, <c>metrics.jsonl</c>
/// (engine metrics plus <see cref="RlMetrics"/>) and <c>token_boundaries.jsonl</c>, which <c>maskedsft doctor rl</c> reads.
/// </summary>
public sealed class OnPolicyGrpoTrainer : IDisposable
{
    /// <summary>The run description file written in the output directory.</summary>
    public const string RunFileName = "run.json";

    private readonly IKvCacheCausalLm _policy;
    private readonly IReadOnlyList<IReadOnlyList<int>> _prompts;
    private readonly CompletionReward _reward;
    private readonly TrainingEngine<RlBatch> _engine;
    private readonly int[] _order;
    private readonly MetricsWriter? _metrics;
    private readonly TokenBoundaryLog? _boundaries;
    private readonly bool _hasReference;
    private int _next;

    /// <summary>Creates the trainer.</summary>
    /// <param name="policy">The model trained (a <see cref="LoraCausalLm"/> trains adapters; its base is the KL reference);
    /// cast to bfloat16 after the engine copied its float32 masters with <see cref="TrainingPrecision.BFloat16Masters"/>.</param>
    /// <param name="prompts">Token ids of the prompts (each non-empty).</param>
    /// <param name="reward">Scores a completion.</param>
    /// <param name="options">Options; null = defaults.</param>
    /// <param name="reference">A separate reference model for the KL term (null: the LoRA base, or no KL).</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">There is no prompt, or a prompt is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public OnPolicyGrpoTrainer(IKvCacheCausalLm policy, IReadOnlyList<IReadOnlyList<int>> prompts, CompletionReward reward,
        OnPolicyGrpoOptions? options = null, ICausalLm? reference = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(reward);
        Options = options ?? new OnPolicyGrpoOptions();
        Options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("on-policy GRPO needs at least one prompt.", nameof(prompts));
        for (var i = 0; i < prompts.Count; i++)
            if (prompts[i] is null || prompts[i].Count == 0) throw new ArgumentException($"prompt {i} is empty.", nameof(prompts));
        _policy = policy;
        _prompts = prompts;
        _reward = reward;
        _hasReference = reference is not null || policy is LoraCausalLm;
        Objective = new GrpoObjective(policy, Options.Loss, reference);
        var training = Options.Training;
        if (training.IntraOpThreads is { } threads) TorchOps.SetNumThreads(threads);
        using (var g = Generator.GetDefault()) g.ManualSeed(training.Seed);
        _engine = new TrainingEngine<RlBatch>(policy.NamedParameters().Where(p => p.Parameter.RequiresGrad), Objective, training, training.MaxSteps);
        if (_engine.Precision == TrainingPrecision.BFloat16Masters) policy.To(policy.Device, ScalarType.BFloat16); // frozen parameters too, after the engine copied its float32 masters
        var random = new Random(unchecked((int)training.Seed));
        _order = Enumerable.Range(0, prompts.Count).OrderBy(_ => random.Next()).ToArray();
        if (training.OutputDirectory is { } output)
        {
            Directory.CreateDirectory(output);
            WriteRunFile(Path.Combine(output, RunFileName));
            _metrics = new MetricsWriter(Path.Combine(output, "metrics.jsonl"), keepUpToStep: 0);
            _boundaries = new TokenBoundaryLog(Path.Combine(output, TokenBoundaryLog.FileName), Options.Decoder ?? TokenIdDecoder.Instance,
                Options.BoundarySampleRate, training.Seed, keepUpToStep: 0);
        }
    }

    /// <summary>The options.</summary>
    public OnPolicyGrpoOptions Options { get; }

    /// <summary>The objective (its <see cref="GrpoObjective.LastStep"/> holds the last step's statistics).</summary>
    public GrpoObjective Objective { get; }

    /// <summary>Steps completed.</summary>
    public long Step => _engine.Step;

    /// <summary>Raised after every step.</summary>
    public event Action<OnPolicyGrpoStep>? StepCompleted;

    /// <summary>Runs the remaining steps up to <see cref="TrainerOptions.MaxSteps"/>.</summary>
    /// <returns>Every step run.</returns>
    public IReadOnlyList<OnPolicyGrpoStep> Run()
    {
        var steps = new List<OnPolicyGrpoStep>();
        while (_engine.Step < _engine.MaxSteps) steps.Add(RunStep());
        return steps;
    }

    /// <summary>Samples, scores and trains one step.</summary>
    /// <returns>What the step measured.</returns>
    /// <exception cref="InvalidDataException">The reward function returned a non-finite number.</exception>
    public OnPolicyGrpoStep RunStep()
    {
        var batch = Sample();
        var advantages = GroupAdvantageFill.Apply(batch, Options.RewardScaling, Options.AdvantageEpsilon, Options.SkipZeroVarianceGroups);
        var diagnostics = RlBatchDiagnostics.Of([batch]);
        (double, double, double, double)? probe = null;
        if (_engine.Step == 0)
        {
            var p = _hasReference || batch.HasReferenceLogProbs ? Objective.Probe(batch) : ProbeRatioOnly(batch);
            probe = p;
        }

        _policy.Train(true);
        var metrics = _engine.RunStep([batch]);
        var step = new OnPolicyGrpoStep(metrics, diagnostics, advantages, Objective.LastStep, probe);
        _metrics?.Write(metrics, json => RlMetrics.Write(json, diagnostics, Objective.LastStep, probe));
        _boundaries?.Write(metrics.Step, [batch]);
        StepCompleted?.Invoke(step);
        return step;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _engine.Dispose();
        _metrics?.Dispose();
        _boundaries?.Dispose();
    }

    private RlBatch Sample()
    {
        var rows = new List<(int, IReadOnlyList<int>, GeneratedSequence, double)>();
        var prompts = new List<int>();
        for (var i = 0; i < Options.PromptsPerStep; i++) prompts.Add(_order[_next++ % _order.Length]);
        var expanded = prompts.SelectMany(p => Enumerable.Repeat(_prompts[p], Options.GroupSize)).ToList();
        var decoding = Options.Decoding with { DoSample = true, Seed = unchecked(Options.Decoding.Seed + Options.Training.Seed * 7919UL + (ulong)_engine.Step) };
        var completions = CausalLmGenerator.Generate(_policy, expanded, decoding);
        for (var i = 0; i < expanded.Count; i++)
        {
            var promptIndex = prompts[i / Options.GroupSize];
            var score = _reward(promptIndex, expanded[i], completions[i].TokenIds);
            if (!double.IsFinite(score))
                throw new InvalidDataException($"the reward function returned {score} for prompt {promptIndex}, completion {i % Options.GroupSize}. Hint: rewards must be finite numbers.");
            rows.Add((i / Options.GroupSize, expanded[i], completions[i], score));
        }

        var pad = Options.Decoding.PadTokenId ?? _policy.GenerationConfig.PadTokenId ?? 0;
        return RolloutBatchBuilder.Build(rows, Options.Decoding.Temperature, pad);
    }

    private (double, double, double, double) ProbeRatioOnly(RlBatch batch)
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var probe = new GrpoObjective(_policy, Options.Loss with { KlBeta = 0 });
        probe.PrepareStep([batch]);
        probe.Compute(batch);
        return (probe.LastStep.MeanRatio, Math.Abs(probe.LastStep.MaxRatio - 1), 0, 0);
    }

    private void WriteRunFile(string path)
    {
        var loss = Options.Loss;
        var run = new Dictionary<string, object?>
        {
            ["objective"] = "grpo",
            ["source"] = "on-policy",
            ["lora"] = _policy is LoraCausalLm,
            ["kl_beta"] = loss.KlBeta,
            ["kl_estimator"] = KlEstimators.Name(loss.KlEstimator),
            ["reference"] = _hasReference ? (_policy is LoraCausalLm ? "lora-base" : "model") : "none",
            ["reward_scaling"] = RewardScalingNames.Name(Options.RewardScaling),
            ["advantage_epsilon"] = Options.AdvantageEpsilon,
            ["skip_zero_variance_groups"] = Options.SkipZeroVarianceGroups,
            ["aggregation"] = GrpoAggregationNames.Name(loss.Aggregation),
            ["importance_sampling"] = loss.ImportanceSampling == ImportanceSamplingLevel.Token ? "token" : "sequence",
            ["epsilon_low"] = loss.EpsilonLow,
            ["epsilon_high"] = loss.EpsilonHigh,
            ["dual_clip"] = loss.DualClip,
            ["mask_truncated_completions"] = loss.MaskTruncatedCompletions,
            ["group_size"] = Options.GroupSize,
            ["prompts_per_step"] = Options.PromptsPerStep,
            ["max_new_tokens"] = Options.Decoding.MaxNewTokens,
            ["temperature"] = Options.Decoding.Temperature,
            ["learning_rate"] = Options.Training.LearningRate,
            ["max_steps"] = Options.Training.MaxSteps,
            ["seed"] = Options.Training.Seed,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(run, new JsonSerializerOptions { WriteIndented = true }));
    }
}
