// The seed's training check: a tiny GPT trained with the loss mask learns the response and not the prompts.
using System.Diagnostics;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

using MaskedSft.MLNet.Doctor;

namespace MaskedSft.Testing;

/// <summary>Checks that need training a model.</summary>
public static class TrainingChecks
{
    /// <summary>Name of the check that the masked run learned the response.</summary>
    public const string LearnsResponseName = "masked-training-learns-response";

    /// <summary>Name of the check that the masked run did not learn the prompts.</summary>
    public const string IgnoresPromptsName = "masked-training-ignores-prompts";

    /// <summary>Name of the check that the mask measurably changes training.</summary>
    public const string MaskChangesTrainingName = "mask-changes-training";

    /// <summary>
    /// Trains a fresh <see cref="TinyGpt"/> on a fixed pool of episodes, each P random prompt tokens (never the response
    /// token) followed by R copies of one response token, with the loss mask on the response targets, for a number of steps
    /// of the product's <see cref="TrainingEngine{TBatch}"/> with its <see cref="SftObjective"/> (AdamW at a constant rate,
    /// clipping at 1); then (optionally) the same model and data without the mask. Passes when the masked run's loss falls to under a
    /// fifth of its start, greedy generation after fresh prompts yields the response token (&gt;= 99% of tokens), the loss on
    /// the training prompts' targets (over the V-1 other tokens) stays within 10% of ln(V-1): the prompts were not learned;
    /// and, with the comparison, the unmasked run memorised its prompts measurably (its prompt loss is at least 10% of
    /// ln(V-1) lower) and kept a higher training loss.
    /// </summary>
    /// <param name="options">Sizes, steps, seed; null uses the seed's settings (3x128, vocabulary 50304, 200 steps).</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The numbers and the check results.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static MaskedPatternReport MaskedPatternLearning(MaskedPatternOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MaskedPatternOptions();
        options.Validate();
        var logV = Math.Log(options.Model.VocabSize - 1);
        var masked = Run(options, useMask: true, cancellationToken);
        var unmasked = options.CompareWithoutMask ? Run(options, useMask: false, cancellationToken) : null;
        var checks = new List<CheckResult>();

        var learned = masked.FinalLoss < 0.2 * masked.InitialLoss && masked.GreedyResponseAccuracy >= 0.99;
        checks.Add(new CheckResult(
            LearnsResponseName,
            learned,
            CheckResult.Values(("initial_loss", masked.InitialLoss), ("final_loss", masked.FinalLoss), ("greedy_accuracy", masked.GreedyResponseAccuracy)),
            learned
                ? $"the masked loss fell from {F(masked.InitialLoss)} to {F(masked.FinalLoss)} and greedy generation after fresh prompts gives token {options.ResponseToken} ({masked.GreedyResponseAccuracy:P0})"
                : $"the model did not learn the response (loss {F(masked.InitialLoss)} -> {F(masked.FinalLoss)}, greedy accuracy {masked.GreedyResponseAccuracy:P0}): is the mask on the response targets, and do gradients reach the model?"));

        var promptRatio = masked.PromptLoss / logV;
        var ignored = Math.Abs(promptRatio - 1.0) <= 0.10;
        checks.Add(new CheckResult(
            IgnoresPromptsName,
            ignored,
            CheckResult.Values(("prompt_loss", masked.PromptLoss), ("ln_v_minus_1", logV), ("ratio", promptRatio), ("raw_prompt_loss", masked.RawPromptLoss)),
            ignored
                ? $"the loss on the training prompts' targets stays at {F(masked.PromptLoss)}, {promptRatio:P0} of ln(V-1) = {F(logV)}: the prompts were not learned"
                : $"the loss on the training prompts' targets is {F(masked.PromptLoss)}, {promptRatio:P0} of ln(V-1): the masked run learned the prompts; masked positions reach the loss"));

        if (unmasked is not null)
        {
            var differs = masked.PromptLoss - unmasked.PromptLoss > 0.10 * logV && unmasked.FinalLoss > masked.FinalLoss;
            checks.Add(new CheckResult(
                MaskChangesTrainingName,
                differs,
                CheckResult.Values(("masked_final_loss", masked.FinalLoss), ("unmasked_final_loss", unmasked.FinalLoss), ("unmasked_prompt_loss", unmasked.PromptLoss), ("masked_prompt_loss", masked.PromptLoss)),
                differs
                    ? $"without the mask the model memorised its training prompts (prompt loss {F(unmasked.PromptLoss)} vs {F(masked.PromptLoss)} with the mask) and its training loss stays at {F(unmasked.FinalLoss)} against {F(masked.FinalLoss)}"
                    : $"the runs with and without the mask learned the prompts alike (prompt loss {F(masked.PromptLoss)} vs {F(unmasked.PromptLoss)}; training loss {F(masked.FinalLoss)} vs {F(unmasked.FinalLoss)}): the mask does not change what is trained"));
        }

        return new MaskedPatternReport(logV, masked, unmasked, checks);
    }

    private static MaskedPatternRun Run(MaskedPatternOptions o, bool useMask, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        int p = o.PromptLength, r = o.ResponseLength, t = p + r - 1;
        using ICausalLm model = new TinyGpt(o.Model with { Dropout = 0 }, o.Seed);
        using var engine = new TrainingEngine<EpisodeBatch>(model.NamedParameters(), new SftObjective(model), EngineOptions(o), o.Steps);
        using var data = Generator.Create(o.Seed + 1);
        var (poolX, poolY) = Episodes(o, data, o.TrainingEpisodes);
        using var ownedPoolX = poolX;
        using var ownedPoolY = poolY;
        var (hostX, hostY) = (poolX.ToArray<long>(), poolY.ToArray<long>());
        var mask = new float[t];                                                             // 1 on targets P-1.. (the response), or everywhere
        mask.AsSpan(useMask ? p - 1 : 0).Fill(1f);
        var batch = new EpisodeBatch(o.BatchSize, t, hasLossMask: true, hasAdvantages: false);
        EpisodeBatch[] window = [batch];
        var losses = new List<double>(o.Steps);
        for (var step = 0; step < o.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long[] rows;
            using (new DisposeScope()) rows = TorchOps.RandInt(0, o.TrainingEpisodes, [o.BatchSize], data).ToArray<long>();
            batch.Reset(o.BatchSize, batchIndex: step);
            for (var i = 0; i < rows.Length; i++)
            {
                var episode = (int)rows[i];
                batch.SetRow(i, hostX.AsSpan(episode * t, t), hostY.AsSpan(episode * t, t), mask, [], t, episodeIndex: episode);
            }

            losses.Add(engine.RunStep(window).Loss);
        }

        using var evalScope = new DisposeScope();
        using var noGrad = new NoGradScope();
        model.Train(false);
        var v = o.Model.VocabSize;
        var logits = model.Forward(poolX);                                                   // (N, T, V)
        var ce = TorchOps.CrossEntropy(logits.Reshape(-1, v), poolY.Reshape(-1), Torch.Reduction.None).Reshape(o.TrainingEpisodes, t);
        var rawPromptLoss = ce.Narrow(1, 0, p - 1).Mean().Item<double>();                   // targets 1..P-1: prompt tokens
        var responseLoss = ce.Narrow(1, p - 1, r).Mean().Item<double>();                    // targets P..P+R-1: the response
        var isResponse = TorchOps.Arange(v).Eq((long)o.ResponseToken);                       // (V)
        var others = logits.Narrow(1, 0, p - 1).MaskedFill(isResponse, double.NegativeInfinity); // (N, P-1, V)
        var promptLoss = TorchOps.CrossEntropy(others.Reshape(-1, v), poolY.Narrow(1, 0, p - 1).Reshape(-1)).Item<double>();
        using var evalData = Generator.Create(o.Seed + 2);
        var (ex, ey) = Episodes(o, evalData, o.EvaluationPrompts);
        using var ownedEx = ex;
        ey.Dispose();
        var generated = model.Generate(ex.Narrow(1, 0, p), GenerationOptions.Greedy(r)).Narrow(1, p, r);
        var accuracy = generated.Eq((long)o.ResponseToken).To(ScalarType.Float64).Mean().Item<double>();
        var final = losses.Skip(Math.Max(0, losses.Count - 10)).Average();
        return new MaskedPatternRun(useMask, losses[0], final, responseLoss, promptLoss, rawPromptLoss, accuracy, watch.Elapsed.TotalSeconds);
    }

    /// <summary>x (N, T) = episode[:-1], y (N, T) = episode[1:], episodes = P random tokens (never the response token)
    /// then R response tokens. The caller owns both tensors (no scope does).</summary>
    private static (Tensor X, Tensor Y) Episodes(MaskedPatternOptions o, Generator g, int n)
    {
        using var scope = new DisposeScope();
        var drawn = TorchOps.RandInt(0, o.Model.VocabSize - 1, [n, o.PromptLength], g);
        var prompts = drawn.Add(drawn.Ge((long)o.ResponseToken).To(ScalarType.Int64));       // skip the response token
        var responses = TorchOps.Full([n, o.ResponseLength], o.ResponseToken, ScalarType.Int64);
        var episode = TorchOps.Cat([prompts, responses], 1);                                  // (N, P + R)
        var length = o.PromptLength + o.ResponseLength;
        return (episode.Narrow(1, 0, length - 1).DetachFromDisposeScope(), episode.Narrow(1, 1, length - 1).DetachFromDisposeScope());
    }

    /// <summary>The engine's settings for the check: AdamW at a constant learning rate with PyTorch's default betas and
    /// weight decay, gradient clipping at 1, no warmup.</summary>
    private static TrainerOptions EngineOptions(MaskedPatternOptions o) => new()
    {
        MaxSteps = o.Steps,
        BatchSize = o.BatchSize,
        LearningRate = o.LearningRate,
        MinLearningRate = o.LearningRate,
        WarmupSteps = 0,
        Beta2 = 0.999,
        WeightDecay = 0.01,
        GradientClip = 1.0,
        Seed = o.Seed,
        HardExamples = null,
    };

    private static string F(double v) => LossMaskChecks.F(v);
}
