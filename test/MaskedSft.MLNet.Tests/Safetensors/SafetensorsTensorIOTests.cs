// Tensor <-> safetensors adapter: round trips of every dtype, the Python-written fixture as tensors, identical bytes to the raw writer.
using System.Text.Json;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Safetensors;

[TestClass]
[DoNotParallelize]
public sealed class SafetensorsTensorIOTests
{
    [TestMethod]
    public void SaveLoad_EveryDType_RoundTripsValuesAndShapes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tensors.safetensors");
        long live = TensorCounters.SettledLive();
        using (var scope = new DisposeScope())
        {
            using var gen = Generator.Create(5);
            var floats = TorchOps.Randn([3, 4], gen);
            var tensors = new Dictionary<string, Tensor>
            {
                ["f32"] = floats,
                ["f64"] = floats.To(ScalarType.Float64),
                ["bf16"] = floats.To(ScalarType.BFloat16),
                ["f16"] = floats.To(ScalarType.Float16),
                ["i64"] = TorchOps.RandInt(-1000, 1000, [5], gen),
                ["i32"] = TorchOps.RandInt(-1000, 1000, [2, 2], gen, ScalarType.Int32),
                ["u8"] = TorchOps.RandInt(0, 256, [7], gen, ScalarType.UInt8),
                ["bool"] = floats.Gt(0.0),
                ["transposed"] = floats.Transpose(0, 1), // non-contiguous: written in row-major order of its shape
                ["scalar"] = TorchOps.Scalar(2.5),
            };
            SafetensorsTensorIO.Save(path, tensors, new Dictionary<string, string> { ["k"] = "v" });
            var loaded = SafetensorsTensorIO.Load(path, out var metadata);
            Assert.AreEqual("v", metadata["k"]);
            Assert.HasCount(tensors.Count, loaded);
            foreach (var (name, expected) in tensors)
            {
                var actual = loaded[name];
                Assert.AreEqual(expected.DType, actual.DType, name);
                CollectionAssert.AreEqual(expected.Shape, actual.Shape, name);
                Assert.IsTrue(expected.To(ScalarType.Float64).Eq(actual.To(ScalarType.Float64)).All().Item<bool>(), name);
                actual.Dispose();
            }
        }

        Assert.AreEqual(live, TensorCounters.Live, "no tensor leaks");
    }

    [TestMethod]
    public void Load_PythonReferenceFixture_TensorsHoldExpectedValues()
    {
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Safetensors");
        var path = Path.Combine(fixtures, "reference.safetensors");
        Assert.IsTrue(File.Exists(path), $"fixture '{path}' is missing; see scripts/reference/safetensors_reference.py");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixtures, "reference_expected.json")));
        var tensors = SafetensorsTensorIO.Load(path);
        try
        {
            foreach (var entry in expected.RootElement.GetProperty("tensors").EnumerateObject())
            {
                var t = tensors[entry.Name];
                CollectionAssert.AreEqual(entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), t.Shape, entry.Name);
                Assert.AreEqual(entry.Value.GetProperty("dtype").GetString(), t.DType.ToSafetensors().HeaderCode(), entry.Name);
                var values = entry.Value.GetProperty("values").EnumerateArray().ToArray();
                if (t.DType == ScalarType.Bool)
                {
                    CollectionAssert.AreEqual(values.Select(v => v.GetBoolean()).ToArray(), t.ToArray<bool>(), entry.Name);
                }
                else if (t.DType == ScalarType.Int64)
                {
                    CollectionAssert.AreEqual(values.Select(v => v.GetInt64()).ToArray(), t.ToArray<long>(), entry.Name);
                }
                else
                {
                    using var asDouble = t.To(ScalarType.Float64);
                    CollectionAssert.AreEqual(values.Select(v => v.GetDouble()).ToArray(), asDouble.ToArray<double>(), entry.Name);
                }
            }
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    [TestMethod]
    public void Save_ReferenceContentFromTensors_BytesEqualThePythonCheckedFile()
    {
        // Build the interop content as tensors: the adapter must produce exactly from_csharp.safetensors, the file the
        // Python safetensors package validated.
        var raw = SafetensorsInteropTests.BuildReferenceContent();
        using var source = new MemoryStream();
        raw.WriteTo(source);
        using var dir = new TempDirectory();
        var rawPath = dir.File("raw.safetensors");
        File.WriteAllBytes(rawPath, source.ToArray());
        var tensors = SafetensorsTensorIO.Load(rawPath, out var metadata);
        try
        {
            var path = dir.File("from_tensors.safetensors");
            SafetensorsTensorIO.Save(path, tensors, metadata);
            var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Safetensors", "from_csharp.safetensors");
            Assert.IsTrue(File.Exists(fixture), $"fixture '{fixture}' is missing");
            CollectionAssert.AreEqual(File.ReadAllBytes(fixture), File.ReadAllBytes(path));
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    [TestMethod]
    public void Load_CorruptFile_ThrowsFormatExceptionAndLeaksNothing()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cut.safetensors");
        using (var t = TorchOps.Ones([10]))
        {
            SafetensorsTensorIO.Save(path, new Dictionary<string, Tensor> { ["t"] = t });
        }

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        long live = TensorCounters.SettledLive();
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsTensorIO.Load(path));
        StringAssert.Contains(ex.Message, "cut.safetensors");
        Assert.AreEqual(live, TensorCounters.Live);
    }
}
