// Tests of Module: named parameters, train/eval, moves, loading, and the built-in layers.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class ModuleTests
{
    [TestMethod]
    public void NamedParameters_Nested_UseDottedNamesInRegistrationOrder()
    {
        using var model = new TwoLayer(3, 4, 2);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        CollectionAssert.AreEqual(new[] { "scale", "fc1.weight", "fc1.bias", "norm.weight", "fc2.weight", "fc2.bias" }, names);
        CollectionAssert.AreEqual(new long[] { 4, 3 }, model.Fc1.Weight.Shape);
        Assert.IsTrue(model.Parameters().All(p => p.RequiresGrad));
    }

    [TestMethod]
    public void TrainEval_PropagatesToChildrenAndControlsDropout()
    {
        using var model = new TwoLayer(3, 4, 2);
        model.Eval();
        Assert.IsFalse(model.Dropout.IsTraining);
        using var scope = new DisposeScope();
        var x = TorchOps.Ones([8, 4]);
        CollectionAssert.AreEqual(x.ToArray<float>(), model.Dropout.Forward(x).ToArray<float>());
        model.Train();
        Assert.IsTrue(model.Dropout.IsTraining);
        var dropped = model.Dropout.Forward(x).ToArray<float>();
        Assert.IsTrue(dropped.Any(v => v == 0f) && dropped.Any(v => v == 2f));
    }

    [TestMethod]
    public void To_Dtype_KeepsParameterObjectsAndConverts()
    {
        using var model = new TwoLayer(3, 4, 2);
        var weight = model.Fc1.Weight;
        var before = weight.ToArray<float>();
        model.To(Device.Cpu, ScalarType.Float64);
        Assert.AreSame(weight, model.Fc1.Weight);
        Assert.AreEqual(ScalarType.Float64, weight.DType);
        Assert.IsTrue(weight.RequiresGrad);
        CollectionAssert.AreEqual(before.Select(v => (double)v).ToArray(), weight.ToArray<double>());
    }

    [TestMethod]
    public void To_CudaWithoutGpu_ThrowsTorchException()
    {
        if (Device.IsCudaAvailable)
        {
            Assert.Inconclusive("a GPU is present; this test checks the CPU-only behaviour");
        }

        using var model = new TwoLayer(3, 4, 2);
        Assert.ThrowsExactly<TorchException>(() => model.To(Device.Cuda(0)));
    }

    [TestMethod]
    public void LoadParameters_CopiesValuesAndChecksNamesAndShapes()
    {
        using var source = new TwoLayer(3, 4, 2);
        using var target = new TwoLayer(3, 4, 2);
        var values = source.NamedParameters().ToDictionary(p => p.Name, p => (Tensor)p.Parameter);
        target.LoadParameters(values);
        CollectionAssert.AreEqual(source.Fc2.Weight.ToArray<float>(), target.Fc2.Weight.ToArray<float>());

        var missing = values.Where(v => v.Key != "scale").ToDictionary(v => v.Key, v => v.Value);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => target.LoadParameters(missing)).Message, "missing [scale]");
        using var wrong = TorchOps.Zeros([5]).DetachFromDisposeScope();
        var badShape = new Dictionary<string, Tensor>(values) { ["fc1.bias"] = wrong };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => target.LoadParameters(badShape)).Message, "fc1.bias");
    }

    [TestMethod]
    public void Linear_ForwardMatchesManualComputationAndInitBound()
    {
        using var g = Generator.Create(3);
        using var layer = new Linear(16, 5, generator: g);
        var bound = 1.0 / Math.Sqrt(16);
        Assert.IsTrue(layer.Weight.ToArray<float>().All(v => Math.Abs(v) <= bound));
        using var scope = new DisposeScope();
        var x = TorchOps.Randn([2, 16], g);
        var expected = x.Matmul(layer.Weight.Transpose(0, 1)) + layer.Bias!;
        var diff = (layer.Forward(x) - expected).Abs().Max().Item<float>();
        Assert.IsLessThan(1e-6f, diff);
    }

    [TestMethod]
    public void Embedding_PaddingRowIsZero()
    {
        using var embedding = new Embedding(5, 3, paddingIndex: 2);
        using var scope = new DisposeScope();
        var rows = embedding.Forward(Tensor.FromArray(new long[] { 2, 1 }));
        CollectionAssert.AreEqual(new long[] { 2, 3 }, rows.Shape);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0 }, rows.Select(0, 0).ToArray<float>());
    }

    [TestMethod]
    public void Norms_NormalizeTheLastDimension()
    {
        using var layerNorm = new LayerNorm(4);
        using var rmsNorm = new RMSNorm(4);
        using var scope = new DisposeScope();
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, -1, 0, 1, 2 }, 2, 4);
        var ln = layerNorm.Forward(x);
        Assert.IsLessThan(1e-6f, ln.Mean(-1).Abs().Max().Item<float>());
        var rms = rmsNorm.Forward(x).Square().Mean(-1).ToArray<float>();
        Assert.AreEqual(1f, rms[0], 1e-4f);
        Assert.AreEqual(1f, rms[1], 1e-4f);
    }

    [TestMethod]
    public void LayerNorm_WithoutBias_OnlyAWeightAndTheSameNormalization()
    {
        using var withBias = new LayerNorm(4);
        using var noBias = new LayerNorm(4, bias: false);
        using var scope = new DisposeScope();
        CollectionAssert.AreEqual(new[] { "weight", "bias" }, withBias.NamedParameters().Select(p => p.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "weight" }, noBias.NamedParameters().Select(p => p.Name).ToArray());
        Assert.IsNull(noBias.Bias);
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, -1, 0, 1, 2 }, 2, 4);
        CollectionAssert.AreEqual(withBias.Forward(x).ToArray<float>(), noBias.Forward(x).ToArray<float>(), "a zero bias and no bias agree");
    }

    [TestMethod]
    public void RegisterParameter_DuplicateName_Throws()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new Duplicate());
    }

    private sealed class TwoLayer : Module<Tensor, Tensor>
    {
        public TwoLayer(long input, long hidden, long output)
        {
            using var scope = new DisposeScope();
            RegisterParameter("scale", new Parameter(TorchOps.Ones([1])));
            Fc1 = RegisterModule("fc1", new Linear(input, hidden));
            Norm = RegisterModule("norm", new RMSNorm(hidden));
            Dropout = RegisterModule("drop", new Dropout(0.5));
            Fc2 = RegisterModule("fc2", new Linear(hidden, output));
        }

        public Linear Fc1 { get; }

        public RMSNorm Norm { get; }

        public Dropout Dropout { get; }

        public Linear Fc2 { get; }

        public override Tensor Forward(Tensor input) => Fc2.Forward(Dropout.Forward(Norm.Forward(Fc1.Forward(input).Gelu())));
    }

    private sealed class Duplicate : Module
    {
        public Duplicate()
        {
            using var scope = new DisposeScope();
            RegisterParameter("w", new Parameter(TorchOps.Ones([1])));
            var second = new Parameter(TorchOps.Ones([1]));
            try
            {
                RegisterParameter("w", second);
            }
            catch
            {
                second.Dispose(); // not registered: still the constructor's
                Dispose();        // the constructor fails: nobody else can dispose what it registered
                throw;
            }
        }
    }
}
