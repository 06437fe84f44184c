// Bad input never crashes the process: libtorch errors surface as TorchException naming the operation and the shapes.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class BadInputTests
{
    [TestMethod]
    public void Matmul_ShapeMismatch_ThrowsTorchExceptionNamingOpAndShapes()
    {
        using var scope = new DisposeScope();
        var a = TorchOps.Zeros([2, 3]);
        var b = TorchOps.Zeros([4, 5]);
        var ex = Assert.ThrowsExactly<TorchException>(() => a.Matmul(b));
        Assert.AreEqual("matmul", ex.Operation);
        StringAssert.Contains(ex.Message, "[2, 3] Float32 cpu");
        StringAssert.Contains(ex.Message, "[4, 5] Float32 cpu");
        Assert.IsFalse(string.IsNullOrWhiteSpace(ex.NativeMessage));
    }

    [TestMethod]
    public void Add_NonBroadcastableShapes_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.Ones([3]) + TorchOps.Ones([4]));
        StringAssert.Contains(ex.Message, "add failed for [3] Float32 cpu, [4] Float32 cpu");
    }

    [TestMethod]
    public void View_IncompatibleShape_ThrowsWithRequestedShape()
    {
        using var scope = new DisposeScope();
        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.Ones([2, 3]).View(4, 2));
        StringAssert.Contains(ex.Message, "view([4, 2])");
        StringAssert.Contains(ex.Message, "[2, 3]");
    }

    [TestMethod]
    public void CrossEntropy_WrongTargetDtype_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var logits = TorchOps.Zeros([2, 5]);
        var target = TorchOps.Zeros([2]); // float targets of the wrong shape for class-probability targets
        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.CrossEntropy(logits, target));
        StringAssert.Contains(ex.Message, "cross_entropy");
        StringAssert.Contains(ex.Message, "[2, 5] Float32 cpu, [2] Float32 cpu");
    }

    [TestMethod]
    public void Embedding_IndexOutOfRange_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var weight = TorchOps.Zeros([4, 3]);
        var ids = Tensor.FromArray(new long[] { 1, 4 });
        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.Embedding(weight, ids));
        StringAssert.Contains(ex.Message, "embedding failed for [4, 3] Float32 cpu, [2] Int64 cpu");
        StringAssert.Contains(ex.NativeMessage, "out of range");
    }

    [TestMethod]
    public void IndexSelect_IndexOutOfRange_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var ex = Assert.ThrowsExactly<TorchException>(
            () => TorchOps.Zeros([3, 2]).IndexSelect(0, Tensor.FromArray(new long[] { 0, 3 })));
        StringAssert.Contains(ex.Message, "index_select");
        StringAssert.Contains(ex.Message, "[3, 2] Float32 cpu");
    }

    [TestMethod]
    public void Select_IndexOutOfRange_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.Zeros([3]).Select(0, 5));
        StringAssert.Contains(ex.Message, "select failed for [3] Float32 cpu");
    }

    [TestMethod]
    public void Cuda_RequestedWithoutGpu_ThrowsClearTorchException()
    {
        if (Device.IsCudaAvailable)
        {
            Assert.Inconclusive("a GPU is present; this test checks the CPU-only behaviour");
        }

        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.Zeros([2], device: Device.Cuda(0)));
        StringAssert.Contains(ex.Message, "zeros([2], Float32, cuda:0)");
        StringAssert.Contains(ex.NativeMessage, "CUDA is not available");
        using var cpu = TorchOps.Ones([2]).DetachFromDisposeScope();
        var moved = Assert.ThrowsExactly<TorchException>(() => cpu.To(Device.Cuda(0)));
        StringAssert.Contains(moved.Message, "[2] Float32 cpu");
    }

    [TestMethod]
    public void Backward_NonScalarWithoutGradient_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var x = TorchOps.Ones([3]).WithRequiresGrad();
        var y = x * 2;
        var ex = Assert.ThrowsExactly<TorchException>(() => y.Backward());
        StringAssert.Contains(ex.Message, "backward failed for [3] Float32 cpu");
    }

    [TestMethod]
    public void RequiresGrad_OnIntegerTensor_ThrowsTorchException()
    {
        using var scope = new DisposeScope();
        var t = Tensor.FromArray(new long[] { 1 });
        Assert.ThrowsExactly<TorchException>(() => t.RequiresGrad = true);
    }

    [TestMethod]
    public void Cat_MismatchedShapes_ThrowsNamingEveryOperand()
    {
        using var scope = new DisposeScope();
        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.Cat([TorchOps.Zeros([2, 3]), TorchOps.Zeros([2, 4])], 0));
        StringAssert.Contains(ex.Message, "cat(dim=0) failed for [2, 3] Float32 cpu, [2, 4] Float32 cpu");
    }

    [TestMethod]
    public void DisposedTensor_Use_ThrowsObjectDisposedException()
    {
        var t = TorchOps.Zeros([1]);
        t.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => t.Exp());
    }

    [TestMethod]
    public void AfterError_NextCallsSucceed()
    {
        using var scope = new DisposeScope();
        Assert.ThrowsExactly<TorchException>(() => TorchOps.Zeros([2]).Matmul(TorchOps.Zeros([3])));
        Assert.AreEqual(0f, TorchOps.Zeros([2]).Matmul(TorchOps.Zeros([2])).Item<float>());
    }
}
