// Fuzz target: a peft adapter folder (adapter_config.json + adapter_model.safetensors) attached to the tiny Qwen2 fixture.
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>peft adapters through <see cref="LoraModel.Load"/> on a loaded base model (detached again after each input).</summary>
public sealed class PeftAdapterTarget : FuzzTarget
{
    private const string ConfigFile = "adapter_config.json";
    private const string WeightsFile = "adapter_model.safetensors";

    private PretrainedCausalLm? _base;

    /// <inheritdoc/>
    public override string Name => "peft-adapter";

    /// <inheritdoc/>
    public override string Description => "peft adapter_config.json + adapter_model.safetensors on the tiny Qwen2 fixture; LoraModel.Load, then detach";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } =
        [(ConfigFile, FuzzFileKind.Json), (ConfigFile, FuzzFileKind.Json), (WeightsFile, FuzzFileKind.Safetensors)];

    /// <inheritdoc/>
    public override void Prepare(string scratch) => _base = PretrainedModelLoader.Load(FuzzFixtures.HfModel("qwen2"));

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        foreach (var file in new[] { ConfigFile, WeightsFile })
        {
            File.Copy(Path.Combine(FuzzFixtures.HfModel("qwen2-lora"), file), Path.Combine(folder, file));
        }
    }

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        using var lora = LoraModel.Load(_base!, folder);
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) =>
        exception is InvalidDataException or NotSupportedException or SafetensorsFormatException || exception.GetType() == typeof(ArgumentException);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _base?.Dispose();
        base.Dispose(disposing);
    }
}
