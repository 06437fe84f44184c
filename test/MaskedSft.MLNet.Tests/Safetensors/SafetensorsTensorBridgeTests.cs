// The tensor <-> safetensors bridge: every dtype bit-exact, PyTorch's bf16/fp16 roundings, reads straight from the map into
// tensors and parameters (with dtype conversion), chunked writes, dtypes without a tensor type, errors, no leaks.
using System.Text.Json;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Safetensors;

/// <summary>
/// dtypes_reference.safetensors and dtypes_expected.json come from scripts/reference/safetensors_dtypes_reference.py
/// (PyTorch 1.13, the file format written by hand in the Rust writer's tensor order).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class SafetensorsTensorBridgeTests
{
    private static readonly ScalarType[] TensorTypes =
    [
        ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.UInt8, ScalarType.Bool,
    ];

    private static string Fixture(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Safetensors", name);
        Assert.IsTrue(File.Exists(path), $"fixture '{path}' is missing; run /usr/bin/python3 scripts/reference/safetensors_dtypes_reference.py test/MaskedSft.MLNet.Tests/Fixtures/Safetensors");
        return path;
    }

    private static JsonElement Expected(string tensor)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("dtypes_expected.json")));
        return document.RootElement.GetProperty("tensors").GetProperty(tensor).Clone();
    }

    private static byte[] Bytes(Tensor t)
    {
        var bytes = new byte[t.NumberOfElements * t.DType.ElementSize()];
        t.CopyToBytes(bytes);
        return bytes;
    }

    private static double[] Values(JsonElement expected) => expected.GetProperty("values").EnumerateArray()
        .Select(v => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity },
            JsonValueKind.True => 1.0,
            JsonValueKind.False => 0.0,
            _ => v.GetDouble(),
        })
        .ToArray();

    /// <summary>A random tensor of <paramref name="type"/> that uses the type's whole range of bit patterns.</summary>
    private static Tensor RandomOf(ScalarType type, long[] shape, Generator generator) => type switch
    {
        ScalarType.Bool => TorchOps.RandInt(0, 2, shape, generator).To(ScalarType.Bool),
        ScalarType.UInt8 => TorchOps.RandInt(0, 256, shape, generator, ScalarType.UInt8),
        ScalarType.Int8 => TorchOps.RandInt(-128, 128, shape, generator, ScalarType.Int8),
        ScalarType.Int16 => TorchOps.RandInt(short.MinValue, short.MaxValue + 1L, shape, generator, ScalarType.Int16),
        ScalarType.Int32 => TorchOps.RandInt(int.MinValue, int.MaxValue, shape, generator, ScalarType.Int32),
        ScalarType.Int64 => TorchOps.RandInt(long.MinValue / 2, long.MaxValue / 2, shape, generator),
        _ => TorchOps.Randn(shape, generator).Mul(1000.0).To(type),
    };

    [TestMethod]
    public void SaveRead_EveryTensorDType_RoundTripsBitExact()
    {
        using var dir = new TempDirectory();
        var path = dir.File("all.safetensors");
        TensorLeakAssert.LeaksNothing(() =>
        {
            using var scope = new DisposeScope();
            using var generator = Generator.Create(11);
            var tensors = TensorTypes.ToDictionary(t => t.ToSafetensors().HeaderCode(), t => RandomOf(t, [3, 5, 2], generator));
            tensors["transposed.i16"] = tensors["I16"].Transpose(0, 2); // non-contiguous: row-major order of its own shape
            tensors["empty.i8"] = TorchOps.Zeros([0, 4], ScalarType.Int8);
            tensors["scalar.bf16"] = TorchOps.Scalar(-0.15625, ScalarType.BFloat16);
            SafetensorsTensorIO.Save(path, tensors);
            using var file = SafetensorsFile.Open(path);
            foreach (var (name, expected) in tensors)
            {
                Assert.AreEqual(expected.DType.ToSafetensors(), file.GetInfo(name).DType, name);
                var read = file.ReadTensor(name);
                Assert.AreEqual(expected.DType, read.DType, name);
                CollectionAssert.AreEqual(expected.Shape, read.Shape, name);
                CollectionAssert.AreEqual(Bytes(expected), Bytes(read), name);
                CollectionAssert.AreEqual(Bytes(expected), file.ReadBytes(name), $"{name}: the stored bytes are the tensor's row-major bytes");
            }
        }, "save and read every dtype");
    }

    [TestMethod]
    public void ReadTensor_PyTorchReference_EveryDTypeHasTheExpectedBytesAndValues()
    {
        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("dtypes_expected.json")));
        var checkedTypes = new HashSet<ScalarType>();
        foreach (var entry in document.RootElement.GetProperty("tensors").EnumerateObject())
        {
            var info = file.GetInfo(entry.Name);
            Assert.AreEqual(entry.Value.GetProperty("dtype").GetString(), info.DType.HeaderCode(), entry.Name);
            Assert.AreEqual(entry.Value.GetProperty("hex").GetString(), Convert.ToHexStringLower(file.ReadBytes(entry.Name)), entry.Name);
            if (!info.DType.TryGetScalarType(out var type))
            {
                continue;
            }

            using var scope = new DisposeScope();
            var tensor = file.ReadTensor(entry.Name);
            checkedTypes.Add(tensor.DType);
            CollectionAssert.AreEqual(entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), tensor.Shape, entry.Name);
            Assert.AreEqual(entry.Value.GetProperty("hex").GetString(), Convert.ToHexStringLower(Bytes(tensor)), entry.Name);
            if (type == ScalarType.Int64)
            {
                // int64 extremes do not survive float64.
                CollectionAssert.AreEqual(entry.Value.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray(), tensor.ToArray<long>(), entry.Name);
            }
            else
            {
                CollectionAssert.AreEqual(Values(entry.Value), tensor.To(ScalarType.Float64).ToArray<double>(), entry.Name);
            }
        }

        CollectionAssert.AreEquivalent(TensorTypes, checkedTypes.ToArray(), "the fixture covers every tensor dtype");
    }

    [TestMethod]
    public void ReadTensor_AsBFloat16AndFloat16_RoundsAsPyTorchDoes()
    {
        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        using var scope = new DisposeScope();
        var bf16 = file.ReadTensor("source.f32", dtype: ScalarType.BFloat16);
        Assert.AreEqual(ScalarType.BFloat16, bf16.DType);
        Assert.AreEqual(Expected("rounded.bf16").GetProperty("hex").GetString(), Convert.ToHexStringLower(Bytes(bf16)),
            "F32 -> BF16 while reading: round to nearest even, as torch's .to(torch.bfloat16)");
        var f16 = file.ReadTensor("source.f32", dtype: ScalarType.Float16);
        Assert.AreEqual(Expected("rounded.f16").GetProperty("hex").GetString(), Convert.ToHexStringLower(Bytes(f16)),
            "F32 -> F16 while reading: overflow to inf, subnormals and ties as torch's .to(torch.float16)");

        // Writing a converted tensor stores exactly PyTorch's bytes too.
        using var dir = new TempDirectory();
        var path = dir.File("converted.safetensors");
        new SafetensorsWriter().AddTensor("bf16", file.ReadTensor("source.f32").To(ScalarType.BFloat16)).Save(path);
        using var written = SafetensorsFile.Open(path);
        Assert.AreEqual(Expected("rounded.bf16").GetProperty("hex").GetString(), Convert.ToHexStringLower(written.ReadBytes("bf16")));
    }

    [TestMethod]
    public void ReadInto_BFloat16OnDiskIntoFloat32Parameter_ConvertsExactly()
    {
        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        TensorLeakAssert.LeaksNothing(() =>
        {
            using var data = TorchOps.Zeros([3, 5]);
            using var parameter = new Parameter(data);
            file.ReadInto("rounded.bf16", parameter, convertDType: true);
            Assert.AreEqual(ScalarType.Float32, parameter.DType);
            Assert.IsTrue(parameter.RequiresGrad, "the parameter keeps requiring gradients");
            using var asDouble = parameter.To(ScalarType.Float64);
            CollectionAssert.AreEqual(Values(Expected("widened.f64")), asDouble.ToArray<double>(), "bf16 widens to float32 exactly");
        }, "ReadInto with conversion");
    }

    [TestMethod]
    public void ReadInto_WithoutConversion_RejectsAnotherDTypeNamingBoth()
    {
        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        using var destination = TorchOps.Zeros([3, 5]).DetachFromDisposeScope();
        var e = Assert.Throws<SafetensorsTensorException>(() => file.ReadInto("rounded.bf16", destination));
        Assert.AreEqual("rounded.bf16", e.TensorName);
        StringAssert.Contains(e.Message, "dtypes_reference.safetensors");
        StringAssert.Contains(e.Problem, "BF16");
        StringAssert.Contains(e.Problem, "Float32");
        StringAssert.Contains(e.Hint, "convertDType");
        Assert.AreEqual(0.0, destination.Abs().Sum().Item<double>(), "nothing was copied");
    }

    [TestMethod]
    public void ReadInto_WrongShape_NamesTensorExpectedAndActual()
    {
        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        using var destination = TorchOps.Zeros([5, 3]).DetachFromDisposeScope();
        var e = Assert.Throws<SafetensorsTensorException>(() => file.ReadInto("source.f32", destination, convertDType: true));
        Assert.AreEqual("source.f32", e.TensorName);
        StringAssert.Contains(e.Problem, "shape [3, 5] on disk");
        StringAssert.Contains(e.Problem, "expects [5, 3]");
        Assert.IsInstanceOfType<IOException>(e, "callers that report I/O failures report it");
    }

    [TestMethod]
    public void ReadTensor_MissingName_ListsFileAndSimilarNames()
    {
        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        var e = Assert.Throws<SafetensorsTensorException>(() => file.ReadTensor("model.ints.i16"));
        Assert.AreEqual(file.FilePath, e.FilePaths.Single());
        StringAssert.Contains(e.Problem, "'ints.i16'", "a stored name with the same ending is suggested");
    }

    [TestMethod]
    public void ReadTensor_DTypeWithoutTensorType_NotSupportedNamingTensorAndDType_RawBytesStillRead()
    {
        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        foreach (var (name, code) in new[] { ("raw.f8_e4m3", "F8_E4M3"), ("raw.u16", "U16") })
        {
            var e = Assert.Throws<NotSupportedException>(() => file.ReadTensor(name));
            StringAssert.Contains(e.Message, $"'{name}'");
            StringAssert.Contains(e.Message, code);
            StringAssert.Contains(e.Message, "dtypes_reference.safetensors");
            using var destination = TorchOps.Zeros([name == "raw.u16" ? 3 : 4]).DetachFromDisposeScope();
            Assert.Throws<NotSupportedException>(() => file.ReadInto(name, destination, convertDType: true));
            Assert.AreEqual(Expected(name).GetProperty("hex").GetString(), Convert.ToHexStringLower(file.ReadBytes(name)));
        }
    }

    [TestMethod]
    public void ReadTensor_ToAnotherDevice_WithoutCuda_ThrowsTorchExceptionAndLeaksNothing()
    {
        if (Device.IsCudaAvailable)
        {
            Assert.Inconclusive("this machine has CUDA; the error path is for CPU-only machines");
        }

        using var file = SafetensorsFile.Open(Fixture("dtypes_reference.safetensors"));
        TensorLeakAssert.LeaksNothing(() => Assert.Throws<TorchException>(() => file.ReadTensor("source.f32", Device.Cuda(0))), "failed read");
    }

    [TestMethod]
    public void ReadInto_LargeTensor_AllocatesNoManagedCopy()
    {
        using var dir = new TempDirectory();
        var path = dir.File("large.safetensors");
        using (var scope = new DisposeScope())
        {
            SafetensorsTensorIO.Save(path, new Dictionary<string, Tensor> { ["w"] = TorchOps.Randn([1024, 1024], Generator.Create(3)).To(ScalarType.BFloat16) });
        }

        using var file = SafetensorsFile.Open(path);
        using var destination = TorchOps.Zeros([1024, 1024]).DetachFromDisposeScope();
        file.ReadInto("w", destination, convertDType: true); // warm-up (JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        file.ReadInto("w", destination, convertDType: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(64 * 1024, allocated, $"reading a 2 MiB tensor allocated {allocated} managed bytes: the bytes must go from the map straight into the tensor");
        using var expected = file.ReadTensor("w", dtype: ScalarType.Float32);
        Assert.IsTrue(expected.Eq(destination).All().Item<bool>());
    }

    [TestMethod]
    public void TensorByteStream_SmallChunksOfNonContiguousTensor_EqualContiguousBytes()
    {
        TensorLeakAssert.LeaksNothing(() =>
        {
            using var scope = new DisposeScope();
            var tensor = TorchOps.Randn([7, 5], Generator.Create(9)).To(ScalarType.Float16).Transpose(0, 1); // (5, 7), non-contiguous
            using var stream = new MemoryStream();
            TensorByteStream.Write(tensor, stream, chunkBytes: 6); // 3 elements per chunk, the last one short
            CollectionAssert.AreEqual(Bytes(tensor.Contiguous()), stream.ToArray());
        }, "chunked write");
    }

    [TestMethod]
    public void ScalarTypeMapping_TensorDTypesRoundTrip_OthersHaveNoTensorType()
    {
        foreach (var dtype in Enum.GetValues<SafetensorsDType>())
        {
            if (dtype.TryGetScalarType(out var type))
            {
                Assert.AreEqual(dtype, type.ToSafetensors());
                Assert.AreEqual(dtype.ElementSize(), type.ElementSize(), dtype.HeaderCode());
            }
            else
            {
                Assert.Throws<NotSupportedException>(() => dtype.ToScalarType());
            }

            Assert.IsTrue(SafetensorsDTypeInfo.TryParseHeaderCode(dtype.HeaderCode(), out var parsed));
            Assert.AreEqual(dtype, parsed);
        }

        foreach (var type in Enum.GetValues<ScalarType>())
        {
            Assert.AreEqual(type, type.ToSafetensors().ToScalarType());
        }

        CollectionAssert.AreEquivalent(Enum.GetValues<ScalarType>(), TensorTypes);
    }
}
