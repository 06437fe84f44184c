// TinyGpt against the PyTorch reference (Fixtures/Models/tiny_gpt.json): logits, masked loss, gradients, greedy generation.
using System.Text.Json;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Losses;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models;

[TestClass]
[DoNotParallelize]
public sealed class TinyGptReferenceTests
{
    [TestMethod]
    public void Forward_PortableWeights_MatchesPyTorchLogitsLossAndGradients()
    {
        using var doc = FixtureFile.Open("Models", "tiny_gpt.json");
        var cases = 0;
        foreach (var c in FixtureFile.Cases(doc))
        {
            using var scope = new DisposeScope();
            var name = c.GetProperty("name").GetString()!;
            using var model = FromCase(c);
            long b = c.GetProperty("B").GetInt64(), t = c.GetProperty("T").GetInt64();
            Assert.AreEqual(c.GetProperty("parameter_count").GetInt64(), model.ParameterCount, $"{name} parameter count");
            Assert.AreEqual(model.Config.ParameterCount, model.ParameterCount);
            CollectionAssert.AreEqual(
                c.GetProperty("grad_norms").EnumerateObject().Select(p => p.Name).ToArray(),
                model.NamedParameters().Select(p => p.Name).ToArray(),
                "parameter names and order follow PyTorch's named_parameters()");
            var x = Tensor.FromArray(FixtureFile.Longs(c.GetProperty("x")), b, t);
            var y = Tensor.FromArray(FixtureFile.Longs(c.GetProperty("y")), b, t);
            var mask = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("mask")), b, t);

            var logits = model.Forward(x);
            CollectionAssert.AreEqual(new[] { b, t, (long)model.Config.VocabSize }, logits.Shape);
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("logits")), logits.ToArray<float>(), 1e-5, $"{name} logits");

            var loss = ModelLoss.Masked(model, x, y, mask);
            LossAssert.Close(c.GetProperty("masked_loss").GetDouble(), loss.Item<float>(), 1e-5, $"{name} masked loss");
            loss.Backward();
            foreach (var (pname, p) in model.NamedParameters())
            {
                var expected = c.GetProperty("grad_norms").GetProperty(pname).GetDouble();
                LossAssert.Close(expected, p.Grad!.Norm().Item<float>(), 1e-5, $"{name} grad norm of {pname}");
            }

            var unmasked = ModelLoss.Masked(model, x, y, TorchOps.Ones([b, t]));
            LossAssert.Close(c.GetProperty("unmasked_loss").GetDouble(), unmasked.Item<float>(), 1e-5, $"{name} unmasked loss");
            cases++;
        }

        Assert.AreEqual(2, cases);
    }

    [TestMethod]
    public void Generate_Greedy_MatchesPyTorchIncludingContextCrop()
    {
        using var doc = FixtureFile.Open("Models", "tiny_gpt.json");
        foreach (var c in FixtureFile.Cases(doc))
        {
            using var scope = new DisposeScope();
            using var model = FromCase(c);
            var expected = FixtureFile.Longs(c.GetProperty("greedy"));
            var promptLength = c.GetProperty("prompt_length").GetInt32();
            var prompt = expected.Take(promptLength).Select(v => (int)v).ToArray();
            var generated = model.Generate(prompt, GenerationOptions.Greedy(expected.Length - promptLength));
            CollectionAssert.AreEqual(expected.Skip(promptLength).Select(v => (int)v).ToArray(), generated, c.GetProperty("name").GetString());
            Assert.IsTrue(model.IsTraining, "Generate restores the training mode");
        }
    }

    internal static TinyGpt FromCase(JsonElement c)
    {
        var cfg = c.GetProperty("config");
        var config = new GptConfig
        {
            Layers = cfg.GetProperty("n_layer").GetInt32(),
            Heads = cfg.GetProperty("n_head").GetInt32(),
            EmbeddingSize = cfg.GetProperty("n_embd").GetInt32(),
            BlockSize = cfg.GetProperty("block_size").GetInt32(),
            VocabSize = cfg.GetProperty("vocab_size").GetInt32(),
            Bias = cfg.GetProperty("bias").GetBoolean(),
            Dropout = cfg.GetProperty("dropout").GetDouble(),
        };
        var seed = c.GetProperty("seed").GetUInt64();
        var model = new TinyGpt(config);
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        foreach (var (name, p) in model.NamedParameters())
        {
            p.CopyFrom(Tensor.FromArray(PortableInit.Values(name, seed, p.NumberOfElements), p.Shape));
        }

        return model;
    }
}
