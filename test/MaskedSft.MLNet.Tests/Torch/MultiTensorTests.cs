// TorchOps.MoveGradients and TorchOps.CopyTensors: the per-step work of master weights in one native call each.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
public sealed class MultiTensorTests
{
    [TestMethod]
    public void MoveGradients_WidensIntoNewAccumulators_AddsIntoExistingOnes_AndDropsTheSources()
    {
        using var scope = new DisposeScope();
        var sources = new[] { new Parameter(TorchOps.Zeros([3], ScalarType.BFloat16)), new Parameter(TorchOps.Zeros([2, 2], ScalarType.BFloat16)), new Parameter(TorchOps.Zeros([1], ScalarType.BFloat16)) };
        var masters = new[] { new Parameter(TorchOps.Zeros([3])), new Parameter(TorchOps.Zeros([2, 2])), new Parameter(TorchOps.Zeros([1])) };
        sources[0].Grad = Tensor.FromArray(new float[] { 1, 2, 3 }, 3).To(ScalarType.BFloat16);
        sources[1].Grad = Tensor.FromArray(new float[] { 0.5f, 1, 1.5f, 2 }, 2, 2).To(ScalarType.BFloat16);
        masters[1].Grad = Tensor.FromArray(new float[] { 10, 20, 30, 40 }, 2, 2);               // already accumulating
        TorchOps.MoveGradients(sources, masters);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3 }, masters[0].Grad!.ToArray<float>(), "a new float32 gradient");
        Assert.AreEqual(ScalarType.Float32, masters[0].Grad!.DType);
        CollectionAssert.AreEqual(new float[] { 10.5f, 21, 31.5f, 42 }, masters[1].Grad!.Reshape(-1).ToArray<float>(), "added into the existing one");
        Assert.IsNull(masters[2].Grad, "a source without a gradient is skipped");
        Assert.IsTrue(sources.All(s => s.Grad is null), "the sources' gradients are dropped");
    }

    [TestMethod]
    public void CopyTensors_RoundsEachSourceIntoItsDestination()
    {
        using var scope = new DisposeScope();
        var destinations = new[] { TorchOps.Zeros([2], ScalarType.BFloat16), TorchOps.Zeros([3], ScalarType.BFloat16) };
        var sources = new[] { Tensor.FromArray(new float[] { 1.00390625f, 2 }, 2), Tensor.FromArray(new float[] { 3, 4, 5 }, 3) };
        TorchOps.CopyTensors(destinations, sources);
        CollectionAssert.AreEqual(new float[] { 1.0f, 2 }, destinations[0].To(ScalarType.Float32).ToArray<float>(), "1 + 2^-8 rounds to 1 in bf16");
        CollectionAssert.AreEqual(new float[] { 3, 4, 5 }, destinations[1].To(ScalarType.Float32).ToArray<float>());
    }

    [TestMethod]
    public void MismatchedLists_ThrowNamingTheProblem()
    {
        using var scope = new DisposeScope();
        var a = new[] { TorchOps.Zeros([2]) };
        Assert.ThrowsExactly<ArgumentException>(() => TorchOps.CopyTensors(a, [TorchOps.Zeros([2]), TorchOps.Zeros([2])]));
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.CopyTensors(a, [TorchOps.Zeros([3])])).Message, "tensor 0 has shape [2] but its partner has [3]");
    }
}
