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
        var folder = WithConfigEdit("qwen2", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
        try
        {
            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder));
            Assert.AreEqual("model.layers.2.self_attn.q_proj.weight", e.TensorName);
            StringAssert.Contains(e.Message, "[64, 64]");
            StringAssert.Contains(e.Message, "missing");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Load_OtherIntermediateSize_MisShapedTensorExpectedAndActual()
    {
        var folder = WithConfigEdit("qwen2", "\"intermediate_size\": 160", "\"intermediate_size\": 150");
        try
        {
            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder));
            Assert.AreEqual("model.layers.0.mlp.gate_proj.weight", e.TensorName);
            StringAssert.Contains(e.Message, "[160, 64]");
            StringAssert.Contains(e.Message, "[150, 64]");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Load_FewerLayers_UnusedTensorsListedOrRejected()
    {
        var folder = WithConfigEdit("qwen2", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
        try
        {
            using (var model = PretrainedCausalLm.Load(folder))
            {
                Assert.IsTrue(model.UnusedCheckpointTensors.Count > 0);
                Assert.IsTrue(model.UnusedCheckpointTensors.All(n => n.StartsWith("model.layers.1.", StringComparison.Ordinal)));
            }

            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder, new PretrainedModelOptions { RejectUnexpectedTensors = true }));
            StringAssert.Contains(e.Message, "does not use");
            StringAssert.Contains(e.Message, "model.layers.1.");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Load_UntiedConfigOverTiedWeights_HeadMissingWithTieHint()
    {
        var folder = WithConfigEdit("qwen2", "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
        try
        {
            var e = Assert.ThrowsExactly<SafetensorsTensorException>(() => PretrainedCausalLm.Load(folder));
            Assert.AreEqual("lm_head.weight", e.TensorName);
            StringAssert.Contains(e.Message, "tie_word_embeddings");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
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

    private static string WithConfigEdit(string fixture, string from, string to)
    {
        var folder = HfModelFixtures.CopyToTemp(fixture);
        var path = Path.Combine(folder, "config.json");
        var text = File.ReadAllText(path);
        Assert.IsTrue(text.Contains(from, StringComparison.Ordinal), $"{fixture}/config.json has no '{from}'");
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
        return folder;
    }
}
