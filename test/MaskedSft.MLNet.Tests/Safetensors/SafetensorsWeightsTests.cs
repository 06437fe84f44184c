// Model folders: a sharded checkpoint in huggingface_hub's layout reads by name across shards, our sharded writer plans and
// indexes exactly as huggingface_hub/transformers do, saves replace earlier saves cleanly, and every error names its files.
using System.Text.Json;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Safetensors;

/// <summary>
/// Fixtures/Safetensors/sharded/ and sharded_expected.json come from scripts/reference/safetensors_dtypes_reference.py:
/// five tensors (BF16 and one F32) split with max_shard_size=100 bytes into three shards plus the index.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class SafetensorsWeightsTests
{
    private const long FixtureMaxShardBytes = 100;

    private static string ShardedFolder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Safetensors", "sharded");

    private static JsonElement ExpectedRoot()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Safetensors", "sharded_expected.json");
        Assert.IsTrue(File.Exists(path), $"fixture '{path}' is missing; run /usr/bin/python3 scripts/reference/safetensors_dtypes_reference.py test/MaskedSft.MLNet.Tests/Fixtures/Safetensors");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    private static string[] Order => ExpectedRoot().GetProperty("order").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    [TestMethod]
    public void Open_ShardedFolder_ReadsEveryTensorByNameIntoFloat32()
    {
        var expected = ExpectedRoot().GetProperty("tensors");
        using var weights = SafetensorsWeights.Open(ShardedFolder);
        Assert.AreEqual(Path.Combine(ShardedFolder, "model.safetensors.index.json"), weights.SourcePath);
        Assert.IsNotNull(weights.Index);
        Assert.HasCount(3, weights.Files);
        Assert.AreEqual(304L, weights.Index.TotalSize);
        Assert.AreEqual(weights.Index.TotalSize, weights.TotalBytes);
        CollectionAssert.AreEquivalent(Order, weights.TensorNames.ToArray());
        TensorLeakAssert.LeaksNothing(() =>
        {
            foreach (var entry in expected.EnumerateObject())
            {
                Assert.AreEqual(entry.Value.GetProperty("file").GetString(), Path.GetFileName(weights.FileOf(entry.Name).FilePath), entry.Name);
                Assert.AreEqual(entry.Value.GetProperty("dtype").GetString(), weights.GetInfo(entry.Name).DType.HeaderCode(), entry.Name);
                var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                using var parameter = TorchOps.Zeros(shape);
                weights.ReadInto(entry.Name, parameter, convertDType: true);
                using var asDouble = parameter.To(ScalarType.Float64);
                CollectionAssert.AreEqual(entry.Value.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray(), asDouble.ToArray<double>(), entry.Name);
            }
        }, "reading every shard");
    }

    [TestMethod]
    [DataRow("llama-gqa-sharded", "BF16", 3)]
    [DataRow("qwen3", "F16", 1)]
    [DataRow("qwen2", "F32", 1)]
    public void Open_FolderSavedByTransformers_ReadsEveryTensorAsFloat32(string folder, string dtype, int files)
    {
        // Fixtures/HfModels: written by transformers' save_pretrained (scripts/reference/hf_models_reference.py).
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "HfModels", folder);
        Assert.IsTrue(Directory.Exists(path), $"fixture '{path}' is missing");
        using var weights = SafetensorsWeights.Open(path);
        Assert.HasCount(files, weights.Files);
        if (weights.Index is not null)
        {
            Assert.AreEqual(weights.Index.TotalSize, weights.TotalBytes, "index total_size = sum of the tensors' bytes");
        }

        Assert.IsTrue(weights.TensorNames.All(n => weights.GetInfo(n).DType.HeaderCode() == dtype), $"{folder} is {dtype} on disk");
        TensorLeakAssert.LeaksNothing(() =>
        {
            foreach (var name in weights.TensorNames)
            {
                using var scope = new DisposeScope();
                var t = weights.ReadTensor(name, dtype: ScalarType.Float32);
                var widened = weights.ReadTensor(name).To(ScalarType.Float32);
                Assert.IsTrue(t.Eq(widened).All().Item<bool>(), $"{name}: converting while reading = converting afterwards");
                Assert.IsTrue(t.IsFinite().All().Item<bool>(), name);
            }
        }, "reading a transformers folder");
    }

    [TestMethod]
    public void Open_IndexPathOrShardPath_OpensTheSameTensors()
    {
        using var byIndex = SafetensorsWeights.Open(Path.Combine(ShardedFolder, "model.safetensors.index.json"));
        Assert.HasCount(5, byIndex.TensorNames);
        using var oneShard = SafetensorsWeights.Open(Path.Combine(ShardedFolder, "model-00002-of-00003.safetensors"));
        Assert.IsNull(oneShard.Index);
        CollectionAssert.AreEquivalent(new[] { "model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight" }, oneShard.TensorNames.ToArray());
    }

    [TestMethod]
    public void Save_SameTensorsAndLimit_PlansNamesAndIndexesAsHuggingFace()
    {
        using var dir = new TempDirectory();
        using var source = SafetensorsWeights.Open(ShardedFolder);
        TensorLeakAssert.LeaksNothing(() =>
        {
            using var scope = new DisposeScope();
            var writer = new SafetensorsShardedWriter(FixtureMaxShardBytes);
            foreach (var name in Order)
            {
                writer.AddTensor(name, source.ReadTensor(name)); // the stored dtypes: BF16 and F32
            }

            var written = writer.Save(dir.Path);
            CollectionAssert.AreEqual(
                new[] { "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", "model.safetensors.index.json" },
                written.Select(Path.GetFileName).ToArray());
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(ShardedFolder, "model.safetensors.index.json")), File.ReadAllBytes(written[^1]),
                "index.json byte-identical to transformers' (json.dumps(indent=2, sort_keys=True) + newline)");
            using var ours = SafetensorsWeights.Open(dir.Path);
            foreach (var name in Order)
            {
                Assert.AreEqual(Path.GetFileName(source.FileOf(name).FilePath), Path.GetFileName(ours.FileOf(name).FilePath), name);
                CollectionAssert.AreEqual(source.FileOf(name).ReadBytes(name), ours.FileOf(name).ReadBytes(name), name);
                Assert.AreEqual("pt", ours.FileOf(name).Metadata["format"], "transformers requires format=pt");
            }
        }, "sharded save");
    }

    [TestMethod]
    public void PlanShards_OversizedTensor_GetsItsOwnShardAheadOfTheOneBeingFilled()
    {
        var writer = new SafetensorsShardedWriter(maxShardBytes: 10);
        foreach (var (name, bytes) in new[] { ("a", 6), ("b", 4), ("huge", 30), ("c", 4), ("d", 8), ("e", 2) })
        {
            writer.Add(name, SafetensorsDType.U8, [bytes], new byte[bytes]);
        }

        var plan = writer.PlanShards().Select(s => string.Join(",", s)).ToArray();
        CollectionAssert.AreEqual(new[] { "huge", "a,b", "c", "d,e" }, plan);
        Assert.AreEqual(54L, writer.TotalBytes);
    }

    [TestMethod]
    public void Save_RawBytesOfEveryDType_ReadBackBitExact()
    {
        using var dir = new TempDirectory();
        var rng = new Random(5);
        var writer = new SafetensorsShardedWriter(maxShardBytes: 64);
        var expected = new Dictionary<string, byte[]>();
        foreach (var dtype in Enum.GetValues<SafetensorsDType>())
        {
            var data = new byte[6 * dtype.ElementSize()];
            rng.NextBytes(data);
            if (dtype == SafetensorsDType.Bool)
            {
                data = data.Select(b => (byte)(b & 1)).ToArray();
            }

            writer.Add(dtype.HeaderCode(), dtype, [2, 3], data);
            expected[dtype.HeaderCode()] = data;
        }

        var written = writer.Save(dir.Path);
        Assert.IsGreaterThan(2, written.Count, "several shards and an index");
        using var weights = SafetensorsWeights.Open(dir.Path);
        foreach (var (name, data) in expected)
        {
            Assert.AreEqual(name, weights.GetInfo(name).DType.HeaderCode());
            CollectionAssert.AreEqual(data, weights.FileOf(name).ReadBytes(name), name);
        }
    }

    [TestMethod]
    public void Save_AgainWithFewerShards_RemovesTheEarlierSavesFiles()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), "{}");
        using var scope = new DisposeScope();
        var tensors = Enumerable.Range(0, 4).Select(i => ($"layer{i}.weight", TorchOps.Full([4], i))).ToList();
        var sharded = new SafetensorsShardedWriter(maxShardBytes: 16);
        tensors.ForEach(t => sharded.AddTensor(t.Item1, t.Item2));
        Assert.HasCount(5, sharded.Save(dir.Path), "four shards and the index");

        var single = new SafetensorsShardedWriter();
        tensors.ForEach(t => single.AddTensor(t.Item1, t.Item2));
        CollectionAssert.AreEqual(new[] { dir.File("model.safetensors") }, single.Save(dir.Path).ToArray());
        CollectionAssert.AreEquivalent(new[] { "config.json", "model.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray(),
            "stale shards and index are gone; other files stay");

        Assert.HasCount(5, sharded.Save(dir.Path));
        Assert.IsFalse(File.Exists(dir.File("model.safetensors")), "a stale single file would shadow the shards in transformers");
        using var weights = SafetensorsWeights.Open(dir.Path);
        Assert.AreEqual(3.0, weights.ReadTensor("layer3.weight").Sum().Item<double>() / 4);
    }

    [TestMethod]
    public void Open_AdapterFileName_FindsPeftStyleFile()
    {
        using var dir = new TempDirectory();
        using var scope = new DisposeScope();
        new SafetensorsShardedWriter().AddTensor("base_model.model.q_proj.lora_A.weight", TorchOps.Ones([2, 4])).Save(dir.Path, "adapter_model.safetensors");
        using var weights = SafetensorsWeights.Open(dir.Path, "adapter_model.safetensors");
        Assert.IsTrue(weights.Contains("base_model.model.q_proj.lora_A.weight"));
        Assert.IsFalse(weights.Contains("q_proj.lora_A.weight"));
    }

    [TestMethod]
    public void ReadTensor_MissingName_ListsEveryShardSearched()
    {
        using var weights = SafetensorsWeights.Open(ShardedFolder);
        var e = Assert.Throws<SafetensorsTensorException>(() => weights.ReadTensor("model.layers.0.self_attn.k_proj.weight"));
        Assert.AreEqual("model.layers.0.self_attn.k_proj.weight", e.TensorName);
        Assert.HasCount(3, e.FilePaths);
        foreach (var shard in Directory.GetFiles(ShardedFolder, "model-*.safetensors"))
        {
            StringAssert.Contains(e.Message, shard);
        }

        StringAssert.Contains(e.Problem, "5 stored");
        var prefixed = Assert.Throws<SafetensorsTensorException>(() => weights.ReadTensor("base_model.model.model.norm.weight"));
        StringAssert.Contains(prefixed.Problem, "'model.norm.weight'", "a stored name with the same ending is suggested");
    }

    [TestMethod]
    public void ReadInto_WrongShape_NamesTensorExpectedActualAndShard()
    {
        using var weights = SafetensorsWeights.Open(ShardedFolder);
        using var destination = TorchOps.Zeros([8, 5]);
        var e = Assert.Throws<SafetensorsTensorException>(() => weights.ReadInto("lm_head.weight", destination, convertDType: true));
        StringAssert.Contains(e.Message, "model-00003-of-00003.safetensors");
        StringAssert.Contains(e.Problem, "[8, 4] on disk");
        StringAssert.Contains(e.Problem, "expects [8, 5]");
    }

    [TestMethod]
    public void Open_MissingShard_NamesIndexShardAndCount()
    {
        using var dir = new TempDirectory();
        CopyFolder(ShardedFolder, dir.Path);
        File.Delete(dir.File("model-00002-of-00003.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsWeights.Open(dir.Path));
        StringAssert.Contains(e.Message, "model.safetensors.index.json");
        StringAssert.Contains(e.Message, "maps 2 tensor(s) to 'model-00002-of-00003.safetensors'");
        Assert.AreEqual(dir.File("model-00002-of-00003.safetensors"), e.FileName);
    }

    [TestMethod]
    public void Open_IndexPointsAtTheWrongShard_ThrowsFormatException()
    {
        using var dir = new TempDirectory();
        CopyFolder(ShardedFolder, dir.Path);
        var index = dir.File("model.safetensors.index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace(
            "\"lm_head.weight\": \"model-00003-of-00003.safetensors\"", "\"lm_head.weight\": \"model-00001-of-00003.safetensors\"", StringComparison.Ordinal));
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsWeights.Open(dir.Path));
        Assert.AreEqual("lm_head.weight", e.TensorName);
        StringAssert.Contains(e.Problem, "does not hold it");
    }

    [TestMethod]
    public void Open_MalformedIndex_ThrowsFormatExceptionNamingIt()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"metadata\": {}}");
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsWeights.Open(dir.Path));
        StringAssert.Contains(e.Problem, "weight_map");
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"weight_map\": {\"a\": \"../elsewhere.safetensors\"}}");
        e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsWeights.Open(dir.Path));
        StringAssert.Contains(e.Problem, "not a plain file name");
    }

    [TestMethod]
    public void Open_FolderWithoutSafetensors_ListsItsFilesAndHints()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("pytorch_model.bin"), "not read");
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsWeights.Open(dir.Path));
        StringAssert.Contains(e.Message, "pytorch_model.bin");
        StringAssert.Contains(e.Message, "model.safetensors.index.json");
        StringAssert.Contains(e.Message, "safe_serialization=True");
    }
}
