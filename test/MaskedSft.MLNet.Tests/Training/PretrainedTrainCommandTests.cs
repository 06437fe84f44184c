// `maskedsft train --model DIR` on the tiny fixtures: LoRA then logprobs/generate with --adapter; full fine-tuning then the
// saved folder loads with the same log-probs as the model the trainer left; a dataset of another tokenizer is refused.
using System.Text.Json;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Models.Pretrained;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class PretrainedTrainCommandTests
{
    private static readonly int[][] Sequences = [[1, 5, 9, 200, 17, 3], [7, 7, 8, 100]];

    private static string[] Train(string model, string data, string run, int steps, params string[] extra) =>
        ["train", "--model", model, "--data", data, "--out", run, "--device", "cpu", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--batch-size", "8", "--lr", "5e-3", "--warmup", "1", "--log-interval", "1", "--no-hard-examples", .. extra];

    /// <summary>Runs `logprobs` with the sequences on stdin and parses its lines.</summary>
    private static float[][] LogProbsCli(params string[] args)
    {
        var input = string.Join('\n', Sequences.Select(s => JsonSerializer.Serialize(new { ids = s })));
        var (exit, output, error) = CliRunner.RunWithInput(input, ["logprobs", .. args]);
        Assert.AreEqual(0, exit, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("logprobs").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
    }

    [TestMethod]
    public void Train_Lora_SavesAdapterThatLogProbsAndGenerateUse()
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("qwen2");
        var data = FineTuneFixture.Prepare(temp, folder);
        var run = temp.Combine("run");
        var (exit, stdout, stderr) = CliRunner.Run(Train(folder, data, run, 6, "--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "q_proj,v_proj,down_proj", "--lora-dropout", "0.05", "--gradient-checkpointing"));
        Assert.AreEqual(0, exit, stderr + stdout);
        StringAssert.Contains(stdout, "LoRA r=4 alpha=8 on 6 layers");
        StringAssert.Contains(stdout, "gradient checkpointing");
        var adapter = Path.Combine(run, "model");
        Assert.IsTrue(File.Exists(Path.Combine(adapter, "adapter_config.json")) && File.Exists(Path.Combine(adapter, "adapter_model.safetensors")), stdout);

        // The CLI's log-probs with --adapter are the library's (base + LoraModel.Load) and differ from the base's.
        var withAdapter = LogProbsCli("--model", folder, "--adapter", adapter);
        var without = LogProbsCli("--model", folder);
        using (var model = PretrainedCausalLm.Load(folder))
        using (var lora = LoraModel.Load(model, adapter))
        {
            var expected = SequenceLogProbs.Compute(model, Sequences);
            for (var i = 0; i < Sequences.Length; i++) CollectionAssert.AreEqual(expected[i], withAdapter[i], $"sequence {i}");
        }

        Assert.IsTrue(withAdapter.Zip(without).Any(p => !p.First.SequenceEqual(p.Second)), "the adapter changes the log-probs");

        var (genExit, genOut, genErr) = CliRunner.RunWithInput("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"red tree\"}]}",
            "generate", "--model", folder, "--adapter", adapter, "--max-new-tokens", "4", "--greedy");
        Assert.AreEqual(0, genExit, genErr);
        using var line = JsonDocument.Parse(genOut.Trim());
        var generated = line.RootElement.GetProperty("new_ids").GetArrayLength();
        Assert.IsTrue(generated is > 0 and <= 4, genOut);
        Assert.IsTrue(line.RootElement.TryGetProperty("text", out _), genOut);

        // A wrong adapter folder is a clear error.
        var (badExit, _, badErr) = CliRunner.RunWithInput("{\"ids\": [1, 2]}", "logprobs", "--model", folder, "--adapter", temp.Combine("missing"));
        Assert.AreEqual(1, badExit);
        StringAssert.Contains(badErr, "adapter_config.json");
    }

    [TestMethod]
    public void Train_BlockSize_TrainsShortRowsAndRejectsOneLongerThanTheModels()
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("qwen2");
        var data = FineTuneFixture.Prepare(temp, folder, count: 8);
        var (exit, stdout, stderr) = CliRunner.Run(Train(folder, data, temp.Combine("run"), 1, "--block-size", "16", "--lora-rank", "2"));
        Assert.AreEqual(0, exit, stderr + stdout);
        var max = PretrainedLmConfig.Load(Path.Combine(folder, PretrainedLmConfig.FileName)).MaxPositionEmbeddings;
        var (tooLong, _, error) = CliRunner.Run(Train(folder, data, temp.Combine("run2"), 1, "--block-size", (max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--lora-rank", "2"));
        Assert.AreEqual(2, tooLong);
        StringAssert.Contains(error, $"exceeds the model's maximum sequence length {max}");
        var (zero, _, zeroError) = CliRunner.Run(Train(folder, data, temp.Combine("run3"), 1, "--block-size", "0"));
        Assert.AreNotEqual(0, zero);
        StringAssert.Contains(zeroError, "--block-size must be a positive number");
    }

    [TestMethod]
    public void Train_FullFineTune_SavedFolderLoadsWithSameLogProbsAsResumedCheckpoint()
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("qwen2");
        var data = FineTuneFixture.Prepare(temp, folder, count: 16);
        var run = temp.Combine("run");
        var (exit, stdout, stderr) = CliRunner.Run(Train(folder, data, run, 2, "--dtype", "float32"));
        Assert.AreEqual(0, exit, stderr + stdout);
        StringAssert.Contains(stdout, "full fine-tuning");
        var saved = Path.Combine(run, "model");
        foreach (var name in new[] { "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
        {
            Assert.IsTrue(File.Exists(Path.Combine(saved, name)), $"{name} in {saved}");
        }

        // The in-memory model at the end of the run is the final checkpoint's weights (the trainer checkpoints the last step).
        using var fromCheckpoint = PretrainedCausalLm.Load(folder);
        ((MaskedSft.MLNet.Models.ICausalLm)fromCheckpoint).LoadSavedWeights(MaskedSft.MLNet.Training.Trainer.ResolveCheckpoint(run));
        using var loaded = PretrainedModelLoader.Load(saved);
        var expected = SequenceLogProbs.Compute(fromCheckpoint, Sequences);
        var actual = SequenceLogProbs.Compute(loaded, Sequences);
        var cli = LogProbsCli("--model", saved);
        using var original = PretrainedCausalLm.Load(folder);
        var before = SequenceLogProbs.Compute(original, Sequences);
        for (var i = 0; i < Sequences.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i], actual[i], $"sequence {i}: saved folder");
            CollectionAssert.AreEqual(expected[i], cli[i], $"sequence {i}: logprobs --model saved");
            CollectionAssert.AreNotEqual(before[i], actual[i], $"sequence {i}: training changed it");
        }
    }

    [TestMethod]
    public void Train_DatasetOfAnotherTokenizer_FailsWithPrepareHint()
    {
        using var temp = new TempDirectory();
        var data = FineTuneFixture.Prepare(temp, HfModelFixtures.Folder("llama-gqa-sharded"), count: 8);
        var folder = HfModelFixtures.Folder("qwen2");
        var (exit, _, stderr) = CliRunner.Run(Train(folder, data, temp.Combine("run"), 1, "--lora-rank", "4"));
        Assert.AreEqual(2, exit, stderr);
        StringAssert.Contains(stderr, "not with the tokenizer of");
        StringAssert.Contains(stderr, $"maskedsft prepare --tokenizer {folder}");
    }
}
