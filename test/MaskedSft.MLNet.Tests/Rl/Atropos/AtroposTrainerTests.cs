// The Atropos trainer against the local server on 127.0.0.1 with the tiny Qwen2 fixture: null batches, an injected 503 and
// a server restart mid-run lose no batch and train none twice (counted by group ids); a crash after a trained but
// uncheckpointed step resumes exactly (same losses bit for bit, same consumed digest); the CLI trains LoRA end to end.
using MaskedSft.Atropos.Server;
using MaskedSft.MLNet.IO;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Rl.Atropos;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tests.Validation;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Rl.Atropos;

[TestClass]
[DoNotParallelize]
public sealed class AtroposTrainerTests
{
    private const int Steps = 6;
    private const int BatchSize = 8;

    private static readonly SyntheticEnvironment Environment = new(new SyntheticEnvironmentOptions
    {
        Groups = Steps * BatchSize / 4, GroupSize = 4, PromptLength = 5, CompletionLength = 6, VocabSize = 500, Seed = 11,
        PollDelay = TimeSpan.FromMilliseconds(20),
    });

    [ClassInitialize]
    public static void Initialize(TestContext context) => SingleThreadTorch.Enter();

    [ClassCleanup]
    public static void Cleanup() => SingleThreadTorch.Exit();

    private static AtroposTrainerOptions Options(string run, TrainingPrecision precision = TrainingPrecision.Auto) => new()
    {
        Training = new TrainerOptions
        {
            MaxSteps = Steps, BatchSize = BatchSize, GradientAccumulationSteps = 2, LearningRate = 2e-3, WarmupSteps = 0, WeightDecay = 0.0,
            CheckpointInterval = 2, Seed = 3, OutputDirectory = run, HardExamples = null, LogInterval = 1, Precision = precision,
        },
        MaxTokenLength = 16,
    };

    private static AtroposClientOptions Client => AtroposClientTests.Fast with { MaxRetries = 20, RetryMaxDelay = TimeSpan.FromMilliseconds(150) };

    [TestMethod]
    public async Task Run_NullBatches503AndServerRestart_EveryGroupTrainedExactlyOnce()
    {
        using var temp = new TempDirectory();
        var statePath = temp.Combine("server-state.json");
        var server = await AtroposServer.StartAsync(new AtroposServerOptions { StatePath = statePath });
        var port = server.Port;
        var faults = server.Faults;
        faults.Add("GET /batch", new AtroposFault(AtroposFaultKind.Status, 503));
        using var client = new AtroposClient(server.BaseAddress, Client);
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder("qwen2"));
        using var trainer = new AtroposTrainer(model, client, Options(temp.Combine("run")) with { KeepTrainedBatches = true });
        Task<AtroposServer>? restarted = null;
        trainer.StepCompleted += record =>
        {
            if (record.Metrics.Step != 3) return;
            server.DisposeAsync().AsTask().GetAwaiter().GetResult(); // the server goes away with formed batches and queued groups
            restarted = Task.Run(async () =>
            {
                await Task.Delay(300);
                return await AtroposServer.StartAsync(new AtroposServerOptions { Port = port, StatePath = statePath });
            });
        };
        var posting = Task.Run(async () =>
        {
            await Task.Delay(250); // the trainer polls an empty server first
            using var envClient = new AtroposClient(server.BaseAddress, Client);
            return await Environment.RunAsync(envClient);
        });

        var records = await trainer.RunAsync();
        Assert.AreEqual(Environment.Options.Groups, await posting);
        Assert.IsNotNull(restarted, "the server was restarted after step 3");
        await using var second = await restarted;

        Assert.HasCount(Steps, records);
        Assert.AreEqual(1, faults.Injected, "the 503 was served");
        Assert.IsGreaterThan(0, records.Sum(r => r.EmptyPolls), "null batches were polled");
        Assert.IsGreaterThanOrEqualTo(2, client.Retries, "the 503 and the refused connections while the server was down");
        var trained = records.SelectMany(r => r.GroupIds).ToList();
        CollectionAssert.AreEqual(Enumerable.Range(0, Environment.Options.Groups).Select(Environment.GroupId).Order().ToList(), trained.Order().ToList(),
            "every posted group trained exactly once: " + string.Join(" ", trained));
        Assert.AreEqual(Steps, second.State.BatchesServed, "batches served across the restart (persisted)");
        Assert.AreEqual(Steps, second.State.Step);
        Assert.IsTrue(records.All(r => double.IsFinite(r.Metrics.Loss) && r.Metrics.SupervisedTokens > 0));
        var consumed = File.ReadAllLines(temp.Combine("run/atropos/consumed.jsonl"));
        Assert.HasCount(Steps, consumed);
        Assert.HasCount(Steps, Directory.GetFiles(temp.Combine("run/atropos/batches")), "--keep-batches keeps every trained batch");
        Assert.AreEqual(0, trainer.Reregistrations, "the restarted server read its state: the trainer was still registered");
    }

    [TestMethod]
    [DataRow(TrainingPrecision.Auto)]
    [DataRow(TrainingPrecision.BFloat16Masters)]   // bfloat16 model, checkpoints of the float32 masters
    public async Task Resume_AfterACrashBeforeTheCheckpoint_ReplaysTheSpooledBatchAndMatchesAnUninterruptedRun(TrainingPrecision precision)
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("qwen2");
        var groups = Enumerable.Range(0, Environment.Options.Groups).Select(i => Environment.CreateGroup(i)).ToList();

        // A: uninterrupted.
        List<AtroposStepRecord> a;
        string digestA;
        await using (var server = await AtroposServer.StartAsync())
        using (var client = new AtroposClient(server.BaseAddress, Client))
        using (var model = PretrainedCausalLm.Load(folder))
        using (var trainer = new AtroposTrainer(model, client, Options(temp.Combine("a"), precision)))
        {
            await client.PostScoredDataListAsync(groups);
            a = [.. await trainer.RunAsync()];
            digestA = trainer.ConsumedDigest;
        }

        // B: crashes right after training step 5 (spooled, not checkpointed), then a new process resumes from step 4.
        var run = temp.Combine("b");
        await using var serverB = await AtroposServer.StartAsync();
        using var clientB = new AtroposClient(serverB.BaseAddress, Client);
        await clientB.PostScoredDataListAsync(groups);
        var b = new List<AtroposStepRecord>();
        using (var model = PretrainedCausalLm.Load(folder))
        using (var trainer = new AtroposTrainer(model, clientB, Options(run, precision)))
        {
            trainer.StepCompleted += r =>
            {
                b.Add(r);
                if (r.Metrics.Step == 5) throw new IOException("simulated crash after step 5");
            };
            await Assert.ThrowsExactlyAsync<IOException>(() => trainer.RunAsync());
        }

        CollectionAssert.AreEqual(new long[] { 2, 4 }, CheckpointStore.ListIn(Path.Combine(run, "checkpoints")).Select(c => c.Step).ToArray());
        b = b.Take(4).ToList();
        using (var model = PretrainedCausalLm.Load(folder))
        using (var trainer = new AtroposTrainer(model, clientB, Options(run, precision)))
        {
            var state = trainer.LoadCheckpoint(run);
            Assert.AreEqual(4, state.Step);
            Assert.AreEqual(4, state.BatchesConsumed);
            Assert.AreEqual(6, state.ServerStep, "the server formed all six batches at the first GET /batch (its counter counts formed batches)");
            var rest = await trainer.RunAsync();
            Assert.IsTrue(rest[0].Replayed, "step 5 is the spooled batch, not a new one");
            Assert.IsFalse(rest[1].Replayed);
            b.AddRange(rest);
            Assert.AreEqual(digestA, trainer.ConsumedDigest, "the same batches in the same order");
        }

        Assert.AreEqual(Steps, serverB.State.BatchesServed, "six batches served, none twice");
        CollectionAssert.AreEqual(a.Select(r => r.Metrics.Loss).ToList(), b.Select(r => r.Metrics.Loss).ToList(), "losses bit for bit");
        CollectionAssert.AreEqual(a.Select(r => r.Metrics.GradNorm).ToList(), b.Select(r => r.Metrics.GradNorm).ToList());
        CollectionAssert.AreEqual(a.Select(r => r.Digest).ToList(), b.Select(r => r.Digest).ToList());
        var steps = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => StepJsonLinesFile.TryReadStep(l, out var s) ? s : -1).ToList();
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, steps, "metrics.jsonl cut back to the checkpoint and continued");
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(run, "atropos", "batches")), "checkpointed batches are deleted");
    }

    [TestMethod]
    public async Task Cli_AtroposTrainLora_TrainsSavesAdapterAndResumes()
    {
        using var temp = new TempDirectory();
        await using var server = await AtroposServer.StartAsync();
        using (var client = new AtroposClient(server.BaseAddress, Client))
            await client.PostScoredDataListAsync(Enumerable.Range(0, 8).Select(i => Environment.CreateGroup(i)).ToList());
        var run = temp.Combine("run");
        string[] common = ["atropos-train", "--api", server.BaseAddress.ToString(), "--model", HfModelFixtures.Folder("qwen2"), "--batch-size", "8",
            "--max-token-len", "16", "--out", run, "--lora-rank", "4", "--device", "cpu", "--checkpoint-interval", "1", "--accumulation", "2"];
        var (exit, output, error) = CliRunner.Run([.. common, "--steps", "3"]);
        Assert.AreEqual(0, exit, output + error);
        StringAssert.Contains(output, "LoRA r=4");
        StringAssert.Contains(output, "done: step 3/3");
        Assert.IsTrue(File.Exists(Path.Combine(run, "model", "adapter_config.json")), output);
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        Assert.HasCount(3, lines);
        foreach (var key in new[] { "\"step\"", "\"loss\"", "\"reward_mean\"", "\"advantage_abs_max\"", "\"zero_std_fraction\"", "\"truncation_rate\"", "\"empty_polls\"" })
            StringAssert.Contains(lines[0], key);

        (exit, output, error) = CliRunner.Run([.. common, "--steps", "4", "--resume", run]);
        Assert.AreEqual(0, exit, output + error);
        StringAssert.Contains(output, "resumed at step 3");
        Assert.HasCount(4, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
        Assert.AreEqual(4, server.State.BatchesServed);

        (exit, _, error) = CliRunner.Run([.. common, "--steps", "2", "--objective", "ppo"]);
        Assert.AreEqual(2, exit);
        StringAssert.Contains(error, "--objective 'ppo'");
    }

    [TestMethod]
    public async Task Cli_AtroposTrainGrpoLoraWithKl_WritesRatioAndKlDiagnostics()
    {
        using var temp = new TempDirectory();
        await using var server = await AtroposServer.StartAsync();
        using (var client = new AtroposClient(server.BaseAddress, Client))
            await client.PostScoredDataListAsync(Enumerable.Range(0, 4).Select(i => Environment.CreateGroup(i)).ToList());
        var run = temp.Combine("run");
        var (exit, output, error) = CliRunner.Run("atropos-train", "--api", server.BaseAddress.ToString(), "--model", HfModelFixtures.Folder("qwen2"),
            "--batch-size", "8", "--max-token-len", "16", "--out", run, "--lora-rank", "4", "--device", "cpu", "--steps", "2",
            "--objective", "grpo", "--kl-beta", "0.1", "--kl-estimator", "k3", "--grpo-aggregation", "dr_grpo");
        Assert.AreEqual(0, exit, output + error);
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        Assert.HasCount(2, lines);
        using var first = System.Text.Json.JsonDocument.Parse(lines[0]);
        var root = first.RootElement;
        Assert.AreEqual(1.0, root.GetProperty("ratio_mean").GetDouble(), 1e-5, "step 0: no inference log-probs, the ratio is against the detached policy");
        Assert.AreEqual(0.0, root.GetProperty("kl_mean").GetDouble(), 1e-6, "step 0: the adapters start at B = 0, so the policy is its reference");
        Assert.IsTrue(double.IsFinite(root.GetProperty("loss").GetDouble()));

        (exit, _, error) = CliRunner.Run("atropos-train", "--api", server.BaseAddress.ToString(), "--model", HfModelFixtures.Folder("qwen2"),
            "--batch-size", "8", "--max-token-len", "16", "--out", temp.Combine("bad"), "--steps", "1", "--objective", "grpo", "--kl-estimator", "k9");
        Assert.AreEqual(2, exit);
        StringAssert.Contains(error, "--kl-estimator 'k9'");
    }

    [TestMethod]
    public async Task Cli_AtroposEnv_PostsItsGroupsOnceTheTrainerStarted()
    {
        await using var server = await AtroposServer.StartAsync();
        using var client = new AtroposClient(server.BaseAddress, Client);
        await client.RegisterAsync(new AtroposRegistration { BatchSize = 4, MaxTokenLength = 32, NumSteps = 1 });
        Assert.IsNull(await client.GetBatchAsync());
        var (exit, output, error) = CliRunner.Run("atropos-env", "--api", server.BaseAddress.ToString(), "--groups", "3", "--group-size", "2", "--vocab-size", "100", "--patterns", "end_weighted,alternating");
        Assert.AreEqual(0, exit, output + error);
        StringAssert.Contains(output, "registered as synthetic_0");
        Assert.AreEqual(3, server.State.GroupsReceived);
        var batch = (await client.GetBatchAsync())!;
        Assert.AreEqual(4, batch.Sum(g => g.Count));
        Assert.AreEqual("EndWeighted", batch[0].GroupOverrides!["advantage_pattern"]!.GetValue<string>());
    }
}
