// Tests of tensor creation, data exchange, metadata, arithmetic and conversions through the native layer.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class TensorBasicsTests
{
    [TestMethod]
    public void FromArray_WithShape_RoundTripsValuesShapeAndDtype()
    {
        using var t = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, t.Shape);
        Assert.AreEqual(ScalarType.Float32, t.DType);
        Assert.AreEqual(Device.Cpu, t.Device);
        Assert.AreEqual(6L, t.NumberOfElements);
        Assert.AreEqual(2, t.Dim);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, t.ToArray<float>());
    }

    [TestMethod]
    public void FromArray_WithoutShape_IsOneDimensional()
    {
        using var t = Tensor.FromArray(new long[] { 7, 8, 9 });
        CollectionAssert.AreEqual(new long[] { 3 }, t.Shape);
        Assert.AreEqual(ScalarType.Int64, t.DType);
    }

    [TestMethod]
    public void FromSpan_EveryElementType_MapsToItsDtype()
    {
        using var scope = new DisposeScope();
        Assert.AreEqual(ScalarType.Float64, Tensor.FromSpan<double>([1.5], [1]).DType);
        Assert.AreEqual(ScalarType.Int32, Tensor.FromSpan<int>([1], [1]).DType);
        Assert.AreEqual(ScalarType.UInt8, Tensor.FromSpan<byte>([1], [1]).DType);
        Assert.AreEqual(ScalarType.Bool, Tensor.FromSpan<bool>([true], [1]).DType);
        Assert.AreEqual(ScalarType.Float16, Tensor.FromSpan<Half>([(Half)1.5f], [1]).DType);
        Assert.AreEqual(ScalarType.BFloat16, Tensor.FromSpan<ushort>([0x3FC0], [1]).DType);
        Assert.AreEqual(1.5f, Tensor.FromSpan<ushort>([0x3FC0], [1]).Item<float>());
        Assert.AreEqual(0, Tensor.FromSpan<double>([2.0], []).Dim);
    }

    [TestMethod]
    public void FromBytes_BFloat16Bits_ConvertToFloat()
    {
        // bfloat16 1.0 = 0x3F80, -2.0 = 0xC000 (little-endian bytes).
        using var scope = new DisposeScope();
        var t = Tensor.FromBytes([0x80, 0x3F, 0x00, 0xC0], ScalarType.BFloat16, [2]);
        CollectionAssert.AreEqual(new float[] { 1f, -2f }, t.To(ScalarType.Float32).ToArray<float>());
        var bytes = new byte[4];
        t.CopyToBytes(bytes);
        CollectionAssert.AreEqual(new byte[] { 0x80, 0x3F, 0x00, 0xC0 }, bytes);
    }

    [TestMethod]
    public void FromArray_ShapeMismatch_ThrowsArgumentException()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3));
        StringAssert.Contains(ex.Message, "[2, 3]");
    }

    [TestMethod]
    public void ToArray_WrongElementType_ThrowsWithHint()
    {
        using var t = Tensor.FromArray(new double[] { 1, 2 });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => t.ToArray<float>());
        StringAssert.Contains(ex.Message, "Float64");
    }

    [TestMethod]
    public void Item_OtherType_Converts()
    {
        using var t = Tensor.FromArray(new double[] { 2.5 });
        Assert.AreEqual(2.5f, t.Item<float>());
        Assert.AreEqual(2L, t.Item<long>());
    }

    [TestMethod]
    public void Operators_TensorAndScalar_BroadcastAndPromoteLikePyTorch()
    {
        using var scope = new DisposeScope();
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = Tensor.FromArray(new float[] { 10, 20 }, 2);
        CollectionAssert.AreEqual(new float[] { 11, 22, 13, 24 }, (a + b).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { -9, -18, -7, -16 }, (a - b).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 2, 4, 6, 8 }, (a * 2).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 0.5f, 1, 1.5f, 2 }, (a / 2.0).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 1, 0.5f, 1f / 3, 0.25f }, (1.0 / a).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 9, 8, 7, 6 }, (10 - a).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { -1, -2, -3, -4 }, (-a).ToArray<float>());
        var ints = Tensor.FromArray(new long[] { 1, 2, 3 });
        Assert.AreEqual(ScalarType.Int64, (ints * 2).DType);
        Assert.AreEqual(ScalarType.Float32, (ints * 2.5).DType);
        Assert.AreEqual(ScalarType.Float32, (ints / 2).DType);
    }

    [TestMethod]
    public void Comparisons_ReturnBoolTensors()
    {
        using var scope = new DisposeScope();
        var a = Tensor.FromArray(new float[] { 1, 2, 3 });
        var b = Tensor.FromArray(new float[] { 3, 2, 1 });
        CollectionAssert.AreEqual(new[] { false, true, false }, a.Eq(b).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { true, false, true }, a.Ne(b).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { true, false, false }, a.Lt(b).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { false, false, true }, a.Gt(b).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { false, true, true }, a.Ge(2.0).ToArray<bool>());
    }

    [TestMethod]
    public void To_DtypeAndClone_ProduceIndependentTensors()
    {
        using var scope = new DisposeScope();
        var a = Tensor.FromArray(new float[] { 1.25f, 2.5f });
        var d = a.To(ScalarType.Float64);
        Assert.AreEqual(ScalarType.Float64, d.DType);
        var c = a.Clone();
        c.Fill(7);
        CollectionAssert.AreEqual(new float[] { 1.25f, 2.5f }, a.ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 7, 7 }, c.ToArray<float>());
    }

    [TestMethod]
    public void InPlaceOps_UpdateTheTensor()
    {
        using var scope = new DisposeScope();
        var a = Tensor.FromArray(new float[] { 1, 2 });
        a.AddInPlace(Tensor.FromArray(new float[] { 1, 1 }), alpha: 2).MulInPlace(10).AddInPlace(1);
        CollectionAssert.AreEqual(new float[] { 31, 41 }, a.ToArray<float>());
        a.CopyFrom(Tensor.FromArray(new float[] { 5, 6 }));
        CollectionAssert.AreEqual(new float[] { 5, 6 }, a.ToArray<float>());
        a.Zero();
        CollectionAssert.AreEqual(new float[] { 0, 0 }, a.ToArray<float>());
    }

    [TestMethod]
    public void Factories_ProduceExpectedValues()
    {
        using var scope = new DisposeScope();
        CollectionAssert.AreEqual(new float[] { 0, 0, 0 }, TorchOps.Zeros([3]).ToArray<float>());
        CollectionAssert.AreEqual(new double[] { 1, 1 }, TorchOps.Ones([2], ScalarType.Float64).ToArray<double>());
        CollectionAssert.AreEqual(new long[] { 4, 4 }, TorchOps.Full([2], 4, ScalarType.Int64).ToArray<long>());
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3 }, TorchOps.Arange(4).ToArray<long>());
        CollectionAssert.AreEqual(new float[] { 0, 0.5f, 1 }, TorchOps.Arange(0.0, 1.5, 0.5).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 1, 0, 0, 1 }, TorchOps.Eye(2).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 0, 0.5f, 1 }, TorchOps.Linspace(0, 1, 3).ToArray<float>());
        var like = Tensor.FromArray(new double[] { 1, 2 }, 1, 2);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, TorchOps.ZerosLike(like).Shape);
        Assert.AreEqual(ScalarType.Float64, TorchOps.OnesLike(like).DType);
        Assert.AreEqual(ScalarType.Int32, TorchOps.FullLike(like, 3, ScalarType.Int32).DType);
        Assert.AreEqual(3.5, TorchOps.Scalar(3.5, ScalarType.Float64).Item<double>());
    }

    [TestMethod]
    public void Threads_DefaultToProcessorCount()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")))
        {
            Assert.Inconclusive("OMP_NUM_THREADS is set, so the default thread count is the user's");
        }

        Assert.AreEqual(Environment.ProcessorCount, TorchOps.GetNumThreads());
        TorchOps.SetNumThreads(1);
        Assert.AreEqual(1, TorchOps.GetNumThreads());
        TorchOps.SetNumThreads(Environment.ProcessorCount);
    }

    [TestMethod]
    public void TorchVersion_IsReported()
    {
        StringAssert.Matches(TorchOps.TorchVersion, new System.Text.RegularExpressions.Regex(@"^\d+\.\d+"));
    }
}
