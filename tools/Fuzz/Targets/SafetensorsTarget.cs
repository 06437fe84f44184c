// Fuzz target: one safetensors file (length prefix, JSON header with dtypes, shapes and data offsets, data), opened
// memory-mapped and every tensor read into libtorch.
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>A single safetensors file through <see cref="SafetensorsFile.Open"/> and <see cref="SafetensorsTensorIO.Load(string, MaskedSft.Torch.Device?)"/>.</summary>
public sealed class SafetensorsTarget : FuzzTarget
{
    /// <inheritdoc/>
    public override string Name => "safetensors";

    /// <inheritdoc/>
    public override string Description => "single safetensors file: header JSON (dtypes, shapes, data_offsets, __metadata__), data; open, read every tensor";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } = [("model.safetensors", FuzzFileKind.Safetensors)];

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, dtype, shape) in SafetensorsSeed.Tensors) writer.Add(name, dtype, shape, SafetensorsSeed.Data(dtype, shape));
        writer.SetMetadata("format", "pt");
        writer.Save(Path.Combine(folder, "model.safetensors"));
    }

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        SafetensorsSeed.ReadAll(file);
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => SafetensorsSeed.IsDocumented(exception);
}
