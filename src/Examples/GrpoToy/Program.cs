// GRPO toy: a randomly initialised one-layer Llama over 8 tokens learns, by on-policy GRPO with a verifiable reward (the
// fraction of completion tokens equal to a target token), to emit that token; then `doctor rl` judges the run.
// Usage: dotnet run --project src/Examples/GrpoToy -- [--steps 30] [--out runs/grpo-toy] [--lora] [--kl-beta 0.04]
using System.Globalization;
using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;
using MaskedSft.Torch;
using Microsoft.ML;

const int target = 5;
var steps = 30;
var output = Path.Combine("runs", "grpo-toy");
var useLora = false;
var klBeta = 0.0;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--out": output = args[++i]; break;
        case "--lora": useLora = true; break;
        case "--kl-beta": klBeta = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'. Usage: [--steps N] [--out DIR] [--lora] [--kl-beta B]");
            return 2;
    }
}

using var scope = new DisposeScope();
using var baseModel = PretrainedCausalLm.Create(new PretrainedLmConfig
{
    Architecture = PretrainedArchitecture.Llama,
    VocabSize = 8,
    HiddenSize = 16,
    IntermediateSize = 32,
    NumHiddenLayers = 1,
    NumAttentionHeads = 2,
    NumKeyValueHeads = 1,
    HeadDim = 8,
    MaxPositionEmbeddings = 32,
    InitializerRange = 0.2,
}, seed: 3);
using var lora = useLora ? LoraCausalLm.Create(baseModel, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj", "v_proj", "up_proj", "down_proj"), Rank = 4, Alpha = 8 }, seed: 2) : null;
IKvCacheCausalLm policy = lora is null ? baseModel : lora;

// The verifiable reward: how many of the completion's tokens are the target token.
double Reward(int promptIndex, IReadOnlyList<int> prompt, IReadOnlyList<int> completion) =>
    completion.Count == 0 ? 0 : completion.Count(t => t == target) / (double)completion.Count;

var options = new OnPolicyGrpoOptions
{
    Training = new TrainerOptions { MaxSteps = steps, LearningRate = useLora ? 0.05 : 0.02, WarmupSteps = 0, WeightDecay = 0, Seed = 11, OutputDirectory = output },
    Loss = new GrpoLossOptions { KlBeta = klBeta, KlEstimator = KlEstimator.K3 },
    GroupSize = 8,
    PromptsPerStep = 2,
    Decoding = new DecodingOptions { DoSample = true, MaxNewTokens = 4, EosTokenIds = [], Seed = 5 },
};

var ml = new MLContext(seed: 1);
var prompts = ml.Data.LoadFromEnumerable(new[] { new[] { 1, 2 }, [1, 3], [2, 4], [3, 1] }.Select(p => new GrpoPromptRow { PromptTokens = p }));
var watch = System.Diagnostics.Stopwatch.StartNew();
var fitted = ml.MaskedSft().Trainers.Grpo(policy, Reward, options).Fit(prompts);
watch.Stop();
foreach (var s in fitted.Steps.Where((_, i) => i % 5 == 0 || i == fitted.Steps.Count - 1))
    Console.WriteLine($"step {s.Metrics.Step,3}  loss {s.Metrics.Loss,8:F4}  reward {s.Batch.RewardMean:F3} ± {s.Batch.RewardStd:F3}  zero-std groups {s.Batch.ZeroStdFraction:P0}  |A|max {s.Batch.AdvantageAbsMax:F2}  ratio {s.Policy.MeanRatio:F4}");
var first = fitted.Steps.Take(5).Average(s => s.Batch.RewardMean);
var last = fitted.Steps.TakeLast(5).Average(s => s.Batch.RewardMean);
Console.WriteLine($"mean reward {first:F3} (first 5 steps) -> {last:F3} (last 5) in {watch.Elapsed.TotalSeconds:F1} s ({(useLora ? "LoRA" : "full")}, KL beta {klBeta})");
var scored = ml.Data.CreateEnumerable<GrpoCompletionRow>(fitted.Transform(prompts), reuseRowObject: false).ToList();
Console.WriteLine("greedy completions: " + string.Join("  ", scored.Select(r => $"[{string.Join(",", r.Completion)}] r={r.Reward:F2}")));

var run = RlRunRecord.Read(output);
var findings = RlRunDoctor.Diagnose(run);
File.WriteAllText(Path.Combine(output, RlRunDoctor.ReportFileName), RlRunDoctor.ToMarkdown(run, findings));
foreach (var f in findings) Console.WriteLine($"doctor rl: {f.Id} {RlRunDoctor.Name(f.Verdict),-12} {f.Title}");
return last > first ? 0 : 1;
