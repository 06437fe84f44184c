// Parity with PyTorch 1.13: every operation on the fixture's inputs matches the reference outputs within 1e-6.
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class TorchParityTests
{
    private const double Tolerance = 1e-6;

    private static readonly Dictionary<string, Func<Func<string, Tensor>, Tensor[]>> Operations = new(StringComparer.Ordinal)
    {
        ["add_broadcast"] = i => [i("a") + i("b")],
        ["sub_broadcast"] = i => [i("a") - i("b")],
        ["mul_broadcast"] = i => [i("a") * i("b")],
        ["div_broadcast"] = i => [i("a") / i("b")],
        ["add_scalar"] = i => [i("a") + 2.5],
        ["rsub_scalar"] = i => [2.5 - i("a")],
        ["rdiv_scalar"] = i => [1.5 / i("a")],
        ["pow_scalar"] = i => [i("a").Pow(1.7)],
        ["pow_tensor"] = i => [i("a").Pow(i("b"))],
        ["exp"] = i => [i("a").Exp()],
        ["log"] = i => [i("a").Log()],
        ["sqrt"] = i => [i("a").Sqrt()],
        ["rsqrt"] = i => [i("a").Rsqrt()],
        ["neg"] = i => [-i("a")],
        ["abs"] = i => [i("a").Abs()],
        ["tanh"] = i => [i("a").Tanh()],
        ["sigmoid"] = i => [i("a").Sigmoid()],
        ["sin_cos"] = i => [i("a").Sin(), i("a").Cos()],
        ["clamp"] = i => [i("a").Clamp(-0.5, 0.75)],
        ["maximum"] = i => [i("a").Maximum(i("b"))],
        ["compare"] = i => [i("a").Eq(i("b")), i("a").Ne(i("b")), i("a").Lt(i("b")), i("a").Gt(i("b")), i("a").Le(0.0), i("a").Ge(0.0)],
        ["matmul"] = i => [i("a").Matmul(i("c"))],
        ["bmm"] = i => [i("a").Bmm(i("b"))],
        ["matmul_broadcast"] = i => [i("a").Matmul(i("c"))],
        ["linear"] = i => [TorchOps.Linear(i("x"), i("w"), i("b"))],
        ["sum_dims_keepdim"] = i => [i("a").Sum([0, 2], keepDim: true), i("a").Sum()],
        ["mean_dim"] = i => [i("a").Mean(1), i("a").Mean()],
        ["max_dim"] = i =>
        {
            var (values, indices) = i("a").Max(2);
            return [values, indices, i("a").Max()];
        },
        ["argmax"] = i => [i("a").Argmax(1), i("a").Argmax()],
        ["logsumexp"] = i => [i("a").Logsumexp(2), i("a").Logsumexp([1, 2], keepDim: true)],
        ["cumsum"] = i => [i("a").Cumsum(1)],
        ["gelu"] = i => [i("a").Gelu(), i("a").Gelu(tanhApproximation: true)],
        ["silu_relu"] = i => [i("a").Silu(), i("a").Relu()],
        ["softmax"] = i => [i("a").Softmax(-1), i("a").LogSoftmax(1)],
        ["layer_norm"] = i => [TorchOps.LayerNorm(i("a"), [4], i("w"), i("b"), 1e-5), TorchOps.LayerNorm(i("a"), [3, 4])],
        ["rms_norm"] = i => [TorchOps.RmsNorm(i("a"), i("w"), 1e-6)],
        ["embedding"] = i => [TorchOps.Embedding(i("w"), i("ids"))],
        ["cross_entropy"] = i =>
        [
            TorchOps.CrossEntropy(i("logits"), i("target")),
            TorchOps.CrossEntropy(i("logits"), i("target"), Reduction.Sum),
            TorchOps.CrossEntropy(i("logits"), i("target"), Reduction.None),
            TorchOps.CrossEntropy(i("logits"), i("target"), labelSmoothing: 0.1),
        ],
        ["cross_entropy_nd"] = i => [TorchOps.CrossEntropy(i("logits"), i("target"))],
        ["cross_entropy_grad"] = i =>
        {
            var logits = i("logits").WithRequiresGrad();
            TorchOps.CrossEntropy(logits, i("target")).Backward();
            return [logits.Grad!];
        },
        ["interpolate"] = i =>
        [
            TorchOps.Interpolate(i("img"), 3, 5, InterpolationMode.Bilinear),
            TorchOps.Interpolate(i("img"), 2, 3, InterpolationMode.Area),
            TorchOps.Interpolate(i("img"), 7, 9, InterpolationMode.Bilinear, alignCorners: true),
        ],
        ["tril_triu"] = i => [i("a").Tril(), i("a").Triu(1), i("a").Tril(-1)],
        ["where_masked_fill"] = i => [TorchOps.Where(i("cond"), i("a"), i("b")), i("a").MaskedFill(i("cond"), -1e9)],
        ["gather"] = i => [i("a").Gather(1, i("idx"))],
        ["scatter"] = i => [i("a").Scatter(1, i("idx"), i("src")), i("a").ScatterAdd(1, i("idx"), i("src"))],
        ["index_select"] = i => [i("a").IndexSelect(1, i("idx"))],
        ["cat_stack"] = i => [TorchOps.Cat([i("a"), i("b")], 1), TorchOps.Stack([i("a"), i("b")], 0)],
        ["transpose_permute"] = i => [i("a").Transpose(0, 2).Contiguous(), i("a").Permute(1, 2, 0).Contiguous()],
        ["slice"] = i => [i("a").Slice(1, 1, 3).Slice(2, 0, long.MaxValue, 2).Contiguous(), i("a").Select(2, -1)],
        ["random_generator_1234"] = _ =>
        {
            using var g = Generator.Create(1234);
            return
            [
                TorchOps.Rand([3, 4], g, ScalarType.Float64),
                TorchOps.Randn([5], g, ScalarType.Float64),
                TorchOps.RandInt(0, 10, [6], g),
                TorchOps.RandPerm(8, g),
                TorchOps.Rand([2, 2], g),
            ];
        },
        ["random_global_42"] = _ =>
        {
            TorchOps.ManualSeed(42);
            return [TorchOps.Rand([4], dtype: ScalarType.Float64), TorchOps.Randn([3])];
        },
        ["adamw_3_steps"] = i => RunOptimizer(i, ps => new AdamW(ps, learningRate: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1), ["exp_avg", "exp_avg_sq", "step"]),
        ["adamw_amsgrad_3_steps"] = i => RunOptimizer(i, ps => new AdamW(ps, learningRate: 0.05, weightDecay: 0.0, amsgrad: true), ["max_exp_avg_sq"]),
        ["sgd_momentum_3_steps"] = i => RunOptimizer(i, ps => new SGD(ps, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01), ["momentum_buffer"]),
        ["sgd_nesterov_3_steps"] = i => RunOptimizer(i, ps => new SGD(ps, learningRate: 0.1, momentum: 0.9, nesterov: true), []),
        ["clip_adamw_groups_5_steps"] = i => ClippedAdamWSteps(i, AdamWImplementation.MultiTensor),
        ["clip_grad_norm"] = i =>
        {
            var p0 = TorchOps.ZerosLike(i("g0")).WithRequiresGrad();
            var p1 = TorchOps.ZerosLike(i("g1")).WithRequiresGrad();
            p0.Grad = i("g0").Clone();
            p1.Grad = i("g1").Clone();
            var total = TorchOps.ClipGradNorm([p0, p1], 1.0);
            return [p0.Grad!, p1.Grad!, TorchOps.Scalar(total, ScalarType.Float64)];
        },
    };

    public static IEnumerable<object[]> CaseNames => ReferenceFixture.Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    public void Fixture_EveryCase_HasAnOperation()
    {
        CollectionAssert.AreEquivalent(ReferenceFixture.Cases.Keys.ToList(), Operations.Keys.ToList());
    }

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void Operation_OnFixtureInputs_MatchesPyTorch(string name)
    {
        var reference = ReferenceFixture.Cases[name];
        using var scope = new DisposeScope();
        var inputs = reference.Inputs.ToDictionary(p => p.Key, p => p.Value.ToTensor(), StringComparer.Ordinal);
        var outputs = Operations[name](key => inputs[key]);
        Assert.HasCount(reference.Outputs.Count, outputs, $"{name}: number of outputs");
        for (var k = 0; k < outputs.Length; k++)
        {
            var expected = reference.Outputs[k];
            var actual = outputs[k];
            Assert.AreEqual(expected.DType, actual.DType.ToString(), $"{name} output {k}: dtype");
            CollectionAssert.AreEqual(expected.Shape, actual.Shape, $"{name} output {k}: shape");
            var want = expected.Values();
            var got = Values(actual);
            for (var j = 0; j < want.Length; j++)
            {
                var tolerance = Tolerance * Math.Max(1.0, Math.Abs(want[j]));
                Assert.IsLessThanOrEqualTo(tolerance, Math.Abs(got[j] - want[j]), $"{name} output {k} element {j}: {got[j]} vs {want[j]}");
            }
        }
    }

    private static double[] Values(Tensor t) => t.DType switch
    {
        ScalarType.Bool => t.ToArray<bool>().Select(b => b ? 1.0 : 0.0).ToArray(),
        ScalarType.Int64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
        _ => t.To(ScalarType.Float64).ToArray<double>(),
    };

    /// <summary>The trainer's step on the fixture: on-device clipping to 0.5, then AdamW with a decayed group (p0) and an
    /// undecayed one (p1), 5 steps; returns p0, p1, p0's exp_avg, p1's exp_avg_sq and the 5 norms before clipping.</summary>
    internal static Tensor[] ClippedAdamWSteps(Func<string, Tensor> i, AdamWImplementation implementation)
    {
        using var p0 = new Parameter(i("p0").Clone());
        using var p1 = new Parameter(i("p1").Clone());
        using var optimizer = new AdamW([("p0", p0)], learningRate: 0.02, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1) { Implementation = implementation };
        optimizer.AddParameterGroup([("p1", p1)], weightDecay: 0.0);
        var norms = new List<Tensor>();
        for (var s = 0; s < 5; s++)
        {
            p0.Grad = i($"g0_{s}").Clone();
            p1.Grad = i($"g1_{s}").Clone();
            norms.Add(TorchOps.ClipGradNormOnDevice([p0, p1], 0.5).To(ScalarType.Float64));
            optimizer.Step();
        }

        var state = optimizer.GetState();
        return [p0.Clone(), p1.Clone(), state["p0.exp_avg"], state["p1.exp_avg_sq"], TorchOps.Stack(norms, 0)];
    }

    private static Tensor[] RunOptimizer(Func<string, Tensor> i, Func<IEnumerable<(string, Parameter)>, Optimizer> make, string[] stateFields)
    {
        using var p0 = new Parameter(i("p0").Clone());
        using var p1 = new Parameter(i("p1").Clone());
        using var optimizer = make([("p0", p0), ("p1", p1)]);
        for (var s = 0; s < 3; s++)
        {
            p0.Grad = i($"g0_{s}").Clone();
            p1.Grad = i($"g1_{s}").Clone();
            optimizer.Step();
        }

        var state = optimizer.GetState();
        return [p0.Clone(), p1.Clone(), .. stateFields.Select(f => state[$"p0.{f}"])];
    }
}
