// LoRA fine-tuning of a Hugging Face model folder on chat JSONL, then generation with the trained adapter.
//   dotnet run --project src/Examples/LoraFineTune -c Release [-- --model DIR --chats FILE --steps N --out DIR]
// Defaults: the tiny random Qwen2 fixture (copied next to the program) and the bundled chats.jsonl, whose assistant always
// answers "Sure: done."; in a few seconds on the CPU the adapter learns that reply while the base weights stay frozen.
using System.Globalization;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Preparation;
using MaskedSft.MLNet.Tokenizers.Templates;
using MaskedSft.MLNet.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
var modelDir = Path.GetFullPath(Arg("--model", Path.Combine(AppContext.BaseDirectory, "qwen2")));
var chats = Path.GetFullPath(Arg("--chats", Path.Combine(AppContext.BaseDirectory, "chats.jsonl")));
var steps = int.Parse(Arg("--steps", "15"), CultureInfo.InvariantCulture);
var run = Path.GetFullPath(Arg("--out", Path.Combine(Path.GetTempPath(), "maskedsft-lora-example")));

// 1. The model folder's tokenizer and chat template turn the chats into an episode dataset (assistant tokens supervised).
var folder = ModelFolderTokenizer.Load(modelDir);
var template = folder.RequireChatTemplate();
var data = Path.Combine(run, "data");
var stats = EpisodePreparation.Run(new PreparationOptions
{
    InputPath = chats, OutputPath = data, Tokenizer = folder.Tokenizer, TokenizerPath = modelDir, Template = template, Overwrite = true,
});
Console.WriteLine($"data: {stats.Episodes} episodes from {chats} with the template of {modelDir}");

// 2. LoRA on every projection of the frozen base; only the adapters reach the trainer's optimizer.
using var model = LoraCausalLm.Create(PretrainedCausalLm.Load(modelDir),
    new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), Rank = 8, Alpha = 16 }, seed: 12);
Console.WriteLine($"model: {model.BaseModel.Architecture}, LoRA r=8 on {model.Adapters.Layers.Count} layers, {model.Adapters.ParameterCount:N0} trainable parameters");
using (var dataset = EpisodeDataset.Open(data))
using (var trainer = new Trainer(model, dataset, new TrainerOptions
{
    MaxSteps = steps, BatchSize = 8, BlockSize = 64, LearningRate = 5e-3, WarmupSteps = 2, WeightDecay = 0.0, LogInterval = 3,
    EvalInterval = 0, CheckpointInterval = 0, HardExamples = null, OutputDirectory = Path.Combine(run, "train"),
}, Console.Out))
{
    var result = trainer.Run();
    Console.WriteLine($"trained {result.Step} steps: masked loss {result.Metrics[0].Loss:F3} (step {result.Metrics[0].Step}) -> {result.FinalLoss:F3} in {result.Elapsed.TotalSeconds:F1} s");
}

// 3. Save the peft adapter (PeftModel.from_pretrained(base, dir) loads it) and generate with and without it.
var adapterDir = Path.Combine(run, "adapter");
model.Save(adapterDir);
Console.WriteLine($"adapter: {adapterDir}");
model.Train(false);
var prompt = template.Render([new ChatMessage("system", "Be brief."), new ChatMessage("user", "green river stone")], folder.Tokenizer, new ChatRenderOptions { AddGenerationPrompt = true }).Ids;
var decoding = DecodingOptions.Greedy(8) with { EosTokenIds = folder.EndOfSequenceIds };
string Generate() => folder.Tokenizer.Decode(CausalLmGenerator.Generate(model, [prompt], decoding)[0].TokenIds.ToArray());
Console.WriteLine($"with the adapter:    \"{Generate()}\"");
using (model.Adapters.DisableAdapters())
{
    Console.WriteLine($"base model (random): \"{Generate()}\"");
}
