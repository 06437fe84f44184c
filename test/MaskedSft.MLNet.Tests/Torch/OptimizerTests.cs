// Tests of AdamW/SGD beyond parity: learning-rate control, groups, state export/import, and a 1,000-step leak check.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class OptimizerTests
{
    [TestMethod]
    public void LearningRate_SetBetweenSteps_ChangesTheUpdate()
    {
        using var scope = new DisposeScope();
        using var p = new Parameter(TorchOps.Zeros([1]));
        using var sgd = new SGD([p], learningRate: 0.1);
        Assert.AreEqual(0.1, sgd.LearningRate);
        p.Grad = TorchOps.Ones([1]);
        sgd.Step();
        sgd.LearningRate = 0.01;
        p.Grad = TorchOps.Ones([1]);
        sgd.Step();
        Assert.AreEqual(-0.11f, p.Item<float>(), 1e-7f);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1);
    }

    [TestMethod]
    public void ParameterGroups_HaveTheirOwnWeightDecay()
    {
        using var scope = new DisposeScope();
        using var decayed = new Parameter(TorchOps.Ones([1]));
        using var plain = new Parameter(TorchOps.Ones([1]));
        using var adamw = new AdamW([("decayed", decayed)], learningRate: 0.1, weightDecay: 0.5);
        adamw.AddParameterGroup([("plain", plain)], weightDecay: 0.0);
        Assert.AreEqual(2, adamw.GroupCount);
        decayed.Grad = TorchOps.Zeros([1]);
        plain.Grad = TorchOps.Zeros([1]);
        adamw.Step();
        Assert.AreEqual(0.95f, decayed.Item<float>(), 1e-7f); // 1 * (1 - lr * wd), zero gradient
        Assert.AreEqual(1f, plain.Item<float>());
        adamw.SetLearningRate(1, 0.2);
        Assert.AreEqual(0.1, adamw.GetLearningRate(0));
        Assert.AreEqual(0.2, adamw.GetLearningRate(1));
        Assert.ThrowsExactly<ArgumentException>(() => adamw.AddParameterGroup([("plain", plain)]));
    }

    [TestMethod]
    public void GetStateLoadState_ResumedRunMatchesStraightRun()
    {
        // Straight: 4 steps. Resumed: 2 steps, export state, new optimizer + LoadState, 2 more steps.
        using var scope = new DisposeScope();
        var grads = Enumerable.Range(0, 4).Select(s => TorchOps.Randn([3], Generator.Create((ulong)s + 10), ScalarType.Float64)).ToArray();
        using var straight = new Parameter(Tensor.FromArray(new double[] { 1, -1, 0.5 }));
        using (var opt = new AdamW([("w", straight)], learningRate: 0.1))
        {
            foreach (var g in grads)
            {
                straight.Grad = g;
                opt.Step();
            }
        }

        using var resumed = new Parameter(Tensor.FromArray(new double[] { 1, -1, 0.5 }));
        IReadOnlyDictionary<string, Tensor> saved;
        using (var first = new AdamW([("w", resumed)], learningRate: 0.1))
        {
            Assert.AreEqual(0, first.GetState().Count);
            for (var s = 0; s < 2; s++)
            {
                resumed.Grad = grads[s];
                first.Step();
            }

            saved = first.GetState().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        }

        CollectionAssert.AreEquivalent(new[] { "w.step", "w.exp_avg", "w.exp_avg_sq" }, saved.Keys.ToList());
        Assert.AreEqual(2L, saved["w.step"].Item<long>());
        using (var second = new AdamW([("w", resumed)], learningRate: 0.1))
        {
            second.LoadState(saved);
            for (var s = 2; s < 4; s++)
            {
                resumed.Grad = grads[s];
                second.Step();
            }

            Assert.AreEqual(4L, second.GetState()["w.step"].Item<long>());
        }

        CollectionAssert.AreEqual(straight.ToArray<double>(), resumed.ToArray<double>());
    }

    [TestMethod]
    public void LoadState_BadEntries_ThrowNamingTheEntry()
    {
        using var scope = new DisposeScope();
        using var p = new Parameter(TorchOps.Zeros([2]));
        using var adamw = new AdamW([("w", p)]);
        var unknown = new Dictionary<string, Tensor> { ["v.exp_avg"] = TorchOps.Zeros([2]) };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => adamw.LoadState(unknown)).Message, "v.exp_avg");
        var incomplete = new Dictionary<string, Tensor> { ["w.exp_avg"] = TorchOps.Zeros([2]), ["w.step"] = TorchOps.Scalar(1, ScalarType.Int64) };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => adamw.LoadState(incomplete)).Message, "w.exp_avg_sq");
        var badShape = new Dictionary<string, Tensor>
        {
            ["w.step"] = TorchOps.Scalar(1, ScalarType.Int64),
            ["w.exp_avg"] = TorchOps.Zeros([3]),
            ["w.exp_avg_sq"] = TorchOps.Zeros([2]),
        };
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => adamw.LoadState(badShape)).Message, "exp_avg has shape [3]");
    }

    [TestMethod]
    public void SgdState_RoundTripsMomentumBuffer()
    {
        using var scope = new DisposeScope();
        using var p = new Parameter(TorchOps.Ones([2]));
        using var sgd = new SGD([("w", p)], learningRate: 0.1, momentum: 0.9);
        p.Grad = TorchOps.Ones([2]);
        sgd.Step();
        var state = sgd.GetState();
        CollectionAssert.AreEqual(new float[] { 1, 1 }, state["w.momentum_buffer"].ToArray<float>());
        using var fresh = new SGD([("w", p)], learningRate: 0.1, momentum: 0.9);
        fresh.LoadState(new Dictionary<string, Tensor> { ["w.momentum_buffer"] = TorchOps.Full([2], 3) });
        CollectionAssert.AreEqual(new float[] { 3, 3 }, fresh.GetState()["w.momentum_buffer"].ToArray<float>());
    }

    [TestMethod]
    public void ZeroGrad_DropsOrZeroesGradients()
    {
        using var scope = new DisposeScope();
        using var p = new Parameter(TorchOps.Ones([2]));
        using var sgd = new SGD([p], learningRate: 0.1);
        p.Grad = TorchOps.Ones([2]);
        sgd.ZeroGrad(setToNone: false);
        CollectionAssert.AreEqual(new float[] { 0, 0 }, p.Grad!.ToArray<float>());
        sgd.ZeroGrad();
        Assert.IsNull(p.Grad);
    }

    [TestMethod]
    public void TrainingLoop_1000StepsInScopes_LiveTensorCountReturnsToBaseline()
    {
        using var g = Generator.Create(5);
        using var fc1 = new Linear(8, 16, generator: g);
        using var fc2 = new Linear(16, 1, generator: g);
        using var optimizer = new AdamW([.. fc1.NamedParameters().Select(p => ("fc1." + p.Name, p.Parameter)), .. fc2.NamedParameters().Select(p => ("fc2." + p.Name, p.Parameter))], learningRate: 1e-2);
        using var x = TorchOps.Randn([32, 8], g).DetachFromDisposeScope();
        using var sum = x.Sum(1, keepDim: true);
        using var y = sum.Sin();

        // One warm-up step creates the optimizer state (moments), which lives as long as the optimizer.
        Step();
        var baseline = TensorCounters.SettledLive();
        TensorCounters.ResetPeak();
        float first = 0, last = 0;
        for (var step = 0; step < 1000; step++)
        {
            var loss = Step();
            if (step == 0)
            {
                first = loss;
            }

            last = loss;
            Assert.AreEqual(baseline, TensorCounters.Live, $"live tensors after step {step}");
        }

        Assert.IsLessThan(baseline + 40, TensorCounters.Peak, "peak live tensors during a step");
        Assert.IsLessThan(first / 10, last, $"the MLP should fit: loss {first} -> {last}");

        float Step()
        {
            using var scope = new DisposeScope();
            optimizer.ZeroGrad();
            var prediction = fc2.Forward(fc1.Forward(x).Gelu());
            var loss = TorchOps.MseLoss(prediction, y);
            loss.Backward();
            TorchOps.ClipGradNorm(fc1.Parameters().Concat(fc2.Parameters()), 1.0);
            optimizer.Step();
            return loss.Item<float>();
        }
    }
}
