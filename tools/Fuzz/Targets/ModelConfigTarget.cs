// Fuzz target: a Hugging Face config.json (Llama / Qwen2 / Qwen3 fields, rope parameters) and generation_config.json.
using MaskedSft.MLNet.Models.Pretrained;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>config.json through <see cref="PretrainedLmConfig.Load"/> and <see cref="PretrainedLmConfig.Validate"/>, generation_config.json through <see cref="GenerationConfig.Load"/>.</summary>
public sealed class ModelConfigTarget : FuzzTarget
{
    /// <inheritdoc/>
    public override string Name => "model-config";

    /// <inheritdoc/>
    public override string Description => "HF config.json (Qwen2, Qwen3, Llama 3 with rope_scaling) and generation_config.json; load, validate, write back";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } =
        [("qwen2/config.json", FuzzFileKind.Json), ("qwen3/config.json", FuzzFileKind.Json), ("llama/config.json", FuzzFileKind.Json), ("qwen2/generation_config.json", FuzzFileKind.Json)];

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        foreach (var (fixture, name) in new[] { ("qwen2", "qwen2"), ("qwen3", "qwen3"), ("llama-gqa-sharded", "llama") })
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            File.Copy(Path.Combine(FuzzFixtures.HfModel(fixture), "config.json"), Path.Combine(folder, name, "config.json"));
        }

        File.Copy(Path.Combine(FuzzFixtures.HfModel("qwen2"), "generation_config.json"), Path.Combine(folder, "qwen2", "generation_config.json"));
    }

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        foreach (var name in new[] { "qwen2", "qwen3", "llama" })
        {
            var path = Path.Combine(folder, name, "config.json");
            var config = PretrainedLmConfig.Load(path);
            config.Validate(path);
            _ = config.ToJson();
            _ = GenerationConfig.FromModelConfig(config);
        }

        _ = GenerationConfig.Load(Path.Combine(folder, "qwen2", "generation_config.json"));
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => exception is ModelConfigException;
}
