// "The user's model": a bigram language model with its own masked loss, built directly on the tensor API.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.Examples.ValidationKitTests;

/// <summary>logits[b, t] = table[inputs[b, t]]: the simplest causal LM.</summary>
public sealed class BigramModel : Module
{
    public BigramModel(int vocabSize, ulong seed)
    {
        VocabSize = vocabSize;
        using var g = Generator.Create(seed);
        Table = RegisterModule("table", new Embedding(vocabSize, vocabSize, generator: g));
    }

    public int VocabSize { get; }

    public Embedding Table { get; }

    /// <summary>(B, T) -&gt; (B, T, V).</summary>
    public Tensor Forward(Tensor inputs) => Table.Forward(inputs);

    /// <summary>The user's masked loss: mean over trained targets, written by hand (as users do).</summary>
    public static Tensor MaskedLoss(Tensor logits, Tensor targets, Tensor mask)
    {
        var v = logits.Size(-1);
        var logp = logits.LogSoftmax(-1).Reshape(-1, v);                                       // (N, V)
        var picked = logp.Gather(1, targets.Reshape(-1, 1)).Reshape(-1);                       // (N)
        var m = mask.Reshape(-1);
        return picked.Mul(m).Sum().Neg().Div(m.Sum().ClampMin(1.0));
    }

    /// <summary>A typical bug: the mean over every position instead of the trained ones.</summary>
    public static Tensor BuggyLoss(Tensor logits, Tensor targets, Tensor mask) =>
        TorchOps.CrossEntropy(logits.Reshape(-1, logits.Size(-1)), targets.Reshape(-1));
}
