// Loading errors of model folders: a missing tensor, a mis-shaped one, tensors the model does not use, missing files.
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
[DoNotParallelize]
public sealed class PretrainedModelLoaderTests
{
    [TestMethod]
    public void Load_ConfigWithMoreLayers_MissingTensorNamedWithShape()
    {
        WithEditedConfig("qwen2", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3", folder =>
        {
            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder));
            Assert.AreEqual("model.layers.2.self_attn.q_proj.weight", e.TensorName);
            StringAssert.Contains(e.Message, "[64, 64]");
            StringAssert.Contains(e.Message, "missing");
        });
    }

    [TestMethod]
    public void Load_OtherIntermediateSize_MisShapedTensorExpectedAndActual()
    {
        WithEditedConfig("qwen2", "\"intermediate_size\": 160", "\"intermediate_size\": 150", folder =>
        {
            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder));
            Assert.AreEqual("model.layers.0.mlp.gate_proj.weight", e.TensorName);
            StringAssert.Contains(e.Message, "[160, 64]");
            StringAssert.Contains(e.Message, "[150, 64]");
        });
    }

    [TestMethod]
    public void Load_FewerLayers_UnusedTensorsListedOrRejected()
    {
        WithEditedConfig("qwen2", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1", folder =>
        {
            using (var model = PretrainedCausalLm.Load(folder))
            {
                Assert.IsTrue(model.UnusedCheckpointTensors.Count > 0);
                Assert.IsTrue(model.UnusedCheckpointTensors.All(n => n.StartsWith("model.layers.1.", StringComparison.Ordinal)));
            }

            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder, new PretrainedModelOptions { RejectUnexpectedTensors = true }));
            StringAssert.Contains(e.Message, "does not use");
            StringAssert.Contains(e.Message, "model.layers.1.");
        });
    }

    [TestMethod]
    public void Load_UntiedConfigOverTiedWeights_HeadMissingWithTieHint()
    {
        WithEditedConfig("qwen2", "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false", folder =>
        {
            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder));
            Assert.AreEqual("lm_head.weight", e.TensorName);
            StringAssert.Contains(e.Message, "tie_word_embeddings");
        });
    }

    [TestMethod]
    public void Load_NoWeightsOrNoFolder_ClearErrors()
    {
        var folder = HfModelFixtures.CopyToTemp("qwen2");
        try
        {
            File.Delete(Path.Combine(folder, "model.safetensors"));
            var e = Assert.ThrowsExactly<FileNotFoundException>(() => PretrainedCausalLm.Load(folder));
            StringAssert.Contains(e.Message, "model.safetensors");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        Assert.ThrowsExactly<DirectoryNotFoundException>(() => PretrainedCausalLm.Load("/nonexistent/model-folder"));
    }

    /// <summary>Runs <paramref name="test"/> on a temporary copy of a fixture whose config.json has <paramref name="from"/>
    /// replaced by <paramref name="to"/>; the copy is deleted afterwards.</summary>
    private static void WithEditedConfig(string fixture, string from, string to, Action<string> test)
    {
        var folder = HfModelFixtures.CopyToTemp(fixture);
        try
        {
            var path = Path.Combine(folder, "config.json");
            var text = File.ReadAllText(path);
            Assert.IsTrue(text.Contains(from, StringComparison.Ordinal), $"{fixture}/config.json has no '{from}'");
            File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
            test(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
