// The training engine: accumulation equals one big batch, a pluggable objective sees the window first, the schedule, clipping
// and the micro-batch event, exact continuation from the optimizer's state, argument checks.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Losses;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class TrainingEngineTests
{
    private const int T = 8;
    private const int Vocab = 23;
    private static readonly GptConfig Config = new() { Layers = 1, Heads = 2, EmbeddingSize = 16, BlockSize = T, VocabSize = Vocab };
    private static readonly TrainerOptions Constant = new() { MaxSteps = 4, WarmupSteps = 0, LearningRate = 1e-2, MinLearningRate = 1e-2, HardExamples = null };

    [TestMethod]
    [DataRow(LossAggregation.TokenMean)]
    [DataRow(LossAggregation.SequenceMeanTokenMean)]
    public void RunStep_MicroBatchesOfUnequalTokens_EqualOneBatchOfAllRows(LossAggregation aggregation)
    {
        var rows = Rows(6, seed: 1);
        var loss = new WeightedSftLossOptions { Aggregation = aggregation };
        using var one = new TinyGpt(Config, seed: 3);
        using var three = new TinyGpt(Config, seed: 3);
        using var single = new TrainingEngine<EpisodeBatch>(one.NamedParameters(), new SftObjective(one, loss), Constant, 4);
        using var accumulated = new TrainingEngine<EpisodeBatch>(three.NamedParameters(), new SftObjective(three, loss), Constant, 4);

        var a = single.RunStep([Batch(rows, 0, 6)]);
        var b = accumulated.RunStep([Batch(rows, 0, 3), Batch(rows, 3, 2), Batch(rows, 5, 1)]);

        Assert.AreEqual(a.SupervisedTokens, b.SupervisedTokens);
        Assert.AreEqual(a.Loss, b.Loss, 1e-5, "the micro-batches' shares add up to the batch's loss");
        Assert.AreEqual(a.GradNorm, b.GradNorm, 1e-5);
        Assert.AreEqual(a.TokenAccuracy, b.TokenAccuracy, 1e-12);
        Assert.AreEqual(a.MaxPerSampleLoss, b.MaxPerSampleLoss, 1e-5);
        using var scope = new DisposeScope();
        foreach (var ((name, p), (_, q)) in one.NamedParameters().Zip(three.NamedParameters()))
        {
            LossAssert.Close(p.ToArray<float>().Select(v => (double)v).ToArray(), q.ToArray<float>(), 1e-5, name);
        }
    }

    [TestMethod]
    public void RunStep_PluggableObjective_PreparedFirstScheduledClippedAndObserved()
    {
        using var w = new Parameter(TorchOps.Zeros([3]));
        var objective = new Quadratic(w, target: [3f, -4f, 12f]);
        var options = new TrainerOptions { MaxSteps = 10, WarmupSteps = 2, LearningRate = 0.5, MinLearningRate = 0.05, GradientClip = 1.0, HardExamples = null };
        using var engine = new TrainingEngine<int>([("w", w)], objective, options, options.MaxSteps);
        var seen = new List<(long Step, int Batch, double Loss)>();
        engine.MicroBatchComputed += (step, batch, output) => seen.Add((step, batch, output.Loss.Item<double>()));

        var first = engine.RunStep([1, 2]);
        var second = engine.RunStep([3]);

        CollectionAssert.AreEqual(new[] { "prepare 1,2", "compute 1", "compute 2", "prepare 3", "compute 3" }, objective.Calls);
        CollectionAssert.AreEqual(new long[] { 1, 1, 2 }, seen.Select(s => s.Step).ToArray(), "the event names the step being computed, 1-based");
        Assert.AreEqual((1L, 2L), (first.Step, second.Step));
        Assert.AreEqual(0.25, first.LearningRate, 1e-12, "warmup: peak x 1/2");
        Assert.AreEqual(0.5, second.LearningRate, 1e-12);
        Assert.AreEqual(2 * 13.0, first.GradNorm, 1e-5, "the norm before clipping: |2 (w - target)| = 2 x 13");
        Assert.AreEqual(0.25 * Math.Sqrt(3), first.ParamNorm, 1e-4, "Adam's first step moves each of the 3 coordinates by lr, clipped or not (no weight decay on vectors)");
        Assert.AreEqual(169.0, first.Loss, 1e-4);
        Assert.IsLessThan(first.Loss, second.Loss);
        Assert.AreEqual(3L, first.SupervisedTokens);
    }

    [TestMethod]
    public void Restore_OptimizerStateAndStep_NextStepIsBitIdentical()
    {
        var rows = Rows(4, seed: 2);
        using var a = new TinyGpt(Config, seed: 5);
        using var b = new TinyGpt(Config, seed: 6);
        var options = Constant with { WarmupSteps = 2, MinLearningRate = null };
        using var straight = new TrainingEngine<EpisodeBatch>(a.NamedParameters(), new SftObjective(a), options, 4);
        using var resumed = new TrainingEngine<EpisodeBatch>(b.NamedParameters(), new SftObjective(b), options, 4);
        straight.RunStep([Batch(rows, 0, 4)]);
        straight.RunStep([Batch(rows, 0, 2)]);

        using (var scope = new DisposeScope())
        using (new NoGradScope())
        {
            foreach (var ((_, p), (_, q)) in a.NamedParameters().Zip(b.NamedParameters())) q.CopyFrom(p);
            var state = straight.Optimizer.GetState();
            resumed.Optimizer.LoadState(state);
            foreach (var t in state.Values) t.Dispose();
        }

        resumed.Restore(straight.Step);
        var x = straight.RunStep([Batch(rows, 1, 3)]);
        var y = resumed.RunStep([Batch(rows, 1, 3)]);

        Assert.AreEqual(x.LearningRate, y.LearningRate);
        Assert.AreEqual(BitConverter.DoubleToInt64Bits(x.Loss), BitConverter.DoubleToInt64Bits(y.Loss));
        using var check = new DisposeScope();
        foreach (var ((name, p), (_, q)) in a.NamedParameters().Zip(b.NamedParameters())) CollectionAssert.AreEqual(p.ToArray<float>(), q.ToArray<float>(), name);
    }

    [TestMethod]
    public void Constructor_AndRunStep_BadArgumentsThrow()
    {
        using var model = new TinyGpt(Config);
        var objective = new SftObjective(model);
        Assert.ThrowsExactly<ArgumentException>(() => new TrainingEngine<EpisodeBatch>([], objective, Constant, 4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingEngine<EpisodeBatch>(model.NamedParameters(), objective, Constant, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingEngine<EpisodeBatch>(model.NamedParameters(), objective, Constant with { WarmupSteps = -1 }, 4));
        using var engine = new TrainingEngine<EpisodeBatch>(model.NamedParameters(), objective, Constant, 4);
        Assert.ThrowsExactly<ArgumentException>(() => engine.RunStep([]));
        Assert.ThrowsExactly<InvalidOperationException>(() => engine.RunStep([new EpisodeBatch(2, T, hasLossMask: true, hasAdvantages: false)]), "an unfilled batch");
        engine.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => engine.RunStep([Batch(Rows(1, 3), 0, 1)]));
    }

    /// <summary>RunStepDeferred reads nothing from the device until Read (one host read, once), and its metrics equal
    /// RunStep's on a twin engine; an unread instance disposes without a read.</summary>
    [TestMethod]
    public void RunStepDeferred_ReadsOnlyWhenAsked_SameMetricsAsRunStep()
    {
        var rows = Rows(4, seed: 6);
        using var a = new TinyGpt(Config, seed: 3);
        using var b = new TinyGpt(Config, seed: 3);
        using var deferred = new TrainingEngine<EpisodeBatch>(a.NamedParameters(), new SftObjective(a), Constant, 4);
        using var reading = new TrainingEngine<EpisodeBatch>(b.NamedParameters(), new SftObjective(b), Constant, 4);
        var batch = Batch(rows, 0, 4);
        var reads = TensorCounters.HostReads;
        using (var unread = deferred.RunStepDeferred([batch])) Assert.IsFalse(unread.IsRead);
        using var pending = deferred.RunStepDeferred([batch]);
        Assert.AreEqual(reads, TensorCounters.HostReads, "two deferred steps, no host read");
        Assert.AreEqual(2, pending.Step);
        var m = pending.Read();
        Assert.AreEqual(reads + 1, TensorCounters.HostReads, "Read is the one host read");
        Assert.AreSame(m, pending.Read(), "a second Read returns the same metrics without reading again");
        Assert.AreEqual(reads + 1, TensorCounters.HostReads);

        reading.RunStep([batch]);
        var expected = reading.RunStep([batch]);
        Assert.AreEqual(expected with { TokensPerSecond = 0 }, m with { TokensPerSecond = 0 }, "the same step's metrics");
    }

    [TestMethod]
    public void RunStep_MetricsFromOneHostRead_EqualTheStepComputedByHand()
    {
        var rows = Rows(4, seed: 5);
        using var a = new TinyGpt(Config, seed: 9);
        using var b = new TinyGpt(Config, seed: 9);
        using var engine = new TrainingEngine<EpisodeBatch>(a.NamedParameters(), new SftObjective(a), Constant with { GradientClip = 0.05 }, 4);
        var batch = Batch(rows, 0, 4);
        var reads = TensorCounters.HostReads;
        var m = engine.RunStep([batch]);
        Assert.AreEqual(reads + 1, TensorCounters.HostReads, "one host read per step");
        Assert.AreEqual(TrainingPrecision.Float32, engine.Precision, "Auto on the CPU is float32");
        Assert.AreEqual(MaskedSft.Torch.Optim.AdamWImplementation.MultiTensor, engine.Optimizer.LastImplementation, "the default (fused) runs multi-tensor kernels on the CPU");

        using var scope = new DisposeScope();
        var objective = new SftObjective(b);
        objective.PrepareStep([batch]);
        var output = objective.Compute(batch);
        output.Loss.Backward();
        var gradNorm = TorchOps.ClipGradNorm(b.Parameters(), 0.05);
        Assert.AreEqual(output.Loss.Item<double>(), m.Loss, 1e-6);
        Assert.AreEqual(gradNorm, m.GradNorm, 1e-5 * gradNorm);
        Assert.AreEqual(output.RowLoss.Max().Item<float>(), m.MaxPerSampleLoss, 1e-5);
        var hits = output.CorrectTargets.To(ScalarType.Float64).Item<double>();
        Assert.AreEqual(hits / m.SupervisedTokens, m.TokenAccuracy, 1e-12);
        var paramNorm = Math.Sqrt(a.Parameters().Sum(p => p.Square().Sum().Item<double>()));
        Assert.AreEqual(paramNorm, m.ParamNorm, 1e-5 * paramNorm);
    }

    /// <summary>Rows of random tokens with a padded tail (targets -100) and a random loss mask; one row has no supervised target.</summary>
    private static (long[] X, long[] Y, float[] Mask, int Real)[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(r =>
        {
            var real = 3 + random.Next(T - 2);
            var x = Enumerable.Range(0, T).Select(_ => (long)random.Next(Vocab)).ToArray();
            var y = Enumerable.Range(0, T).Select(i => i < real ? (long)random.Next(Vocab) : -100L).ToArray();
            var mask = Enumerable.Range(0, T).Select(i => i < real && r != 1 && random.NextDouble() < 0.6 ? 1f : 0f).ToArray();
            return (x, y, mask, real);
        }).ToArray();
    }

    private static EpisodeBatch Batch((long[] X, long[] Y, float[] Mask, int Real)[] rows, int start, int count) => EpisodeBatches.From(rows, start, count, T);

    /// <summary>Loss (w - target)² summed, each micro-batch's share divided by the window's size; records the call order.</summary>
    private sealed class Quadratic(Parameter w, float[] target) : ITrainingObjective<int>
    {
        private int _window = 1;

        public List<string> Calls { get; } = [];

        public long PrepareStep(IReadOnlyList<int> window)
        {
            Calls.Add("prepare " + string.Join(",", window));
            _window = window.Count;
            return target.Length;
        }

        public MicroBatchLoss Compute(int batch)
        {
            Calls.Add("compute " + batch);
            var rows = w.Sub(Tensor.FromArray(target)).Square();                               // (3)
            var loss = rows.Sum().Div(_window);
            using var noGrad = new NoGradScope();
            return new MicroBatchLoss(loss, rows.Detach(), TorchOps.OnesLike(rows), TorchOps.Zeros([]), 1);
        }
    }
}
