// Test helper: tiny Llama / Qwen2 / Qwen3 configs and randomly initialised models whose every weight matters
// (norm scales and biases away from 1 and 0).
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

internal static class SmallPretrainedModels
{
    /// <summary>Llama with GQA (4 query heads over 2 key/value heads), llama3 rope, untied head, attention and MLP biases.</summary>
    public static PretrainedLmConfig LlamaGqa => new()
    {
        Architecture = PretrainedArchitecture.Llama,
        VocabSize = 61,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 8,
        MaxPositionEmbeddings = 64,
        AttentionBias = true,
        MlpBias = true,
        InitializerRange = 0.2,
        Rope = new RopeParameters { Type = RopeType.Llama3, Theta = 500.0, Factor = 4, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 16 },
        EosTokenIds = [3, 5],
    };

    /// <summary>Qwen2: q/k/v biases, tied head, multi-query (one key/value head).</summary>
    public static PretrainedLmConfig Qwen2Tied => new()
    {
        Architecture = PretrainedArchitecture.Qwen2,
        VocabSize = 53,
        HiddenSize = 24,
        IntermediateSize = 40,
        NumHiddenLayers = 2,
        NumAttentionHeads = 3,
        NumKeyValueHeads = 1,
        HeadDim = 8,
        MaxPositionEmbeddings = 64,
        TieWordEmbeddings = true,
        InitializerRange = 0.2,
        Rope = new RopeParameters { Theta = 1000.0 },
        EosTokenIds = [2],
    };

    /// <summary>Qwen3: per-head q/k norms, head_dim (12) unlike hidden / heads (8), linear rope.</summary>
    public static PretrainedLmConfig Qwen3 => new()
    {
        Architecture = PretrainedArchitecture.Qwen3,
        VocabSize = 47,
        HiddenSize = 32,
        IntermediateSize = 36,
        NumHiddenLayers = 3,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 12,
        MaxPositionEmbeddings = 64,
        InitializerRange = 0.2,
        Rope = new RopeParameters { Type = RopeType.Linear, Theta = 10000.0, Factor = 2 },
        EosTokenIds = [1],
    };

    /// <summary>The config named llama, qwen2 or qwen3.</summary>
    public static PretrainedLmConfig Named(string name) => name switch
    {
        "llama" => LlamaGqa,
        "qwen2" => Qwen2Tied,
        "qwen3" => Qwen3,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "llama, qwen2 or qwen3"),
    };

    /// <summary>A model with random weights, norm scales 1 ± 0.3 and biases ~ N(0, 0.2).</summary>
    public static PretrainedCausalLm Create(PretrainedLmConfig config, ulong seed = 7, ScalarType dtype = ScalarType.Float32)
    {
        var model = PretrainedCausalLm.Create(config, seed, new PretrainedModelOptions { DType = dtype });
        using var generator = Generator.Create(seed + 100);
        using var noGrad = new NoGradScope();
        foreach (var (name, p) in model.NamedParameters())
        {
            using var scope = new DisposeScope();
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.CopyFrom(TorchOps.Randn(p.Shape, generator).Mul(0.3).Add(1.0));
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.CopyFrom(TorchOps.Randn(p.Shape, generator).Mul(0.2));
        }

        return model;
    }

    /// <summary>Random token ids (B, T) from a seed.</summary>
    public static Tensor Tokens(int vocab, long b, long t, ulong seed) => TorchOps.RandInt(0, vocab, [b, t], Generator.Create(seed));

    /// <summary>Largest absolute difference of two tensors.</summary>
    public static double MaxDiff(Tensor a, Tensor b) => a.To(ScalarType.Float32).Sub(b.To(ScalarType.Float32)).Abs().Max().Item<float>();
}
