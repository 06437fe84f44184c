// Issue 13 on the tiny GPT: activation checkpointing (also under bf16 autocast) gives the same gradients, and the forward
// pass keeps no intermediate handles alive beyond what it returns.
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models;

[TestClass]
[DoNotParallelize]
public sealed class TinyGptSpeedTests
{
    private static readonly GptConfig Small = new() { Layers = 3, Heads = 2, EmbeddingSize = 16, BlockSize = 12, VocabSize = 37 };

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void GradientCheckpointing_SameLossAndGradients(bool autocast, bool packed)
    {
        var plain = Gradients(checkpointing: false, autocast, packed);
        var checkpointed = Gradients(checkpointing: true, autocast, packed);
        Assert.AreEqual(plain.Loss, checkpointed.Loss, 1e-6, "loss");
        foreach (var (name, g) in plain.Grads)
        {
            var other = checkpointed.Grads[name];
            var diff = g.Zip(other, (a, b) => Math.Abs(a - b)).Max();
            Assert.IsLessThanOrEqualTo(1e-6, diff, $"{name}: the recomputation must run as the forward did (autocast={autocast})");
        }
    }

    [TestMethod]
    public void ForwardHidden_ReturnsWithNoIntermediateHandlesLeft()
    {
        using var model = new TinyGpt(Small, seed: 2);
        using var scope = new DisposeScope();
        var ids = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (long)(i * 7 % 37)).ToArray(), 2, 12);
        var before = TensorCounters.Live;
        var hidden = model.ForwardHidden(new CausalLmInput(ids));
        // Only the result is left: every intermediate (embeddings, q/k/v, attention, MLP, residual sums) was disposed as
        // soon as it was consumed; autograd holds what backward needs without our handles.
        Assert.AreEqual(before + 1, TensorCounters.Live);
        hidden.Sum().Backward();
        Assert.IsNotNull(model.HeadWeight.Grad);
    }

    private static (double Loss, Dictionary<string, float[]> Grads) Gradients(bool checkpointing, bool autocast, bool packed)
    {
        using var model = new TinyGpt(Small, seed: 5) { GradientCheckpointing = checkpointing };
        using var scope = new DisposeScope();
        var ids = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (long)((i * 11 + 3) % 37)).ToArray(), 2, 12);
        var input = new CausalLmInput(ids);
        if (packed)
        {
            input = input with
            {
                PositionIds = Tensor.FromArray(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 2, 12),
                DocumentIds = Tensor.FromArray(new long[] { 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 2, 12),
            };
        }

        Tensor loss;
        using (autocast ? new AutocastScope(Device.Cpu, ScalarType.BFloat16) : null)
        {
            var hidden = model.ForwardHidden(input);                                     // (B, T, C)
            loss = TorchOps.Linear(hidden, model.HeadWeight).To(ScalarType.Float32).Square().Mean();
        }

        loss.Backward(); // outside autocast, as the engine does: the checkpoint restores it for the recomputation
        return (loss.Item<double>(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.To(ScalarType.Float32).ToArray<float>()));
    }
}
