// Fuzz target: sharded safetensors (model.safetensors.index.json + model-0000N-of-0000M.safetensors), opened as a folder the
// way the model loader does and every tensor read.
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>Sharded safetensors through <see cref="SafetensorsWeights.Open"/>.</summary>
public sealed class ShardedSafetensorsTarget : FuzzTarget
{
    private IReadOnlyList<(string File, FuzzFileKind Kind)> _files = [];

    /// <inheritdoc/>
    public override string Name => "safetensors-sharded";

    /// <inheritdoc/>
    public override string Description => "sharded safetensors: model.safetensors.index.json (weight_map, metadata.total_size) and 3 shards; open the folder, read every tensor";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files => _files;

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        var writer = new SafetensorsShardedWriter(maxShardBytes: 80);
        foreach (var (name, dtype, shape) in SafetensorsSeed.Tensors) writer.Add(name, dtype, shape, SafetensorsSeed.Data(dtype, shape));
        writer.SetMetadata("format", "pt");
        var written = writer.Save(folder);
        var files = new List<(string, FuzzFileKind)> { ("model.safetensors.index.json", FuzzFileKind.Json), ("model.safetensors.index.json", FuzzFileKind.Json) };
        foreach (var path in written.Where(p => p.EndsWith(".safetensors", StringComparison.Ordinal))) files.Add((Path.GetFileName(path), FuzzFileKind.Safetensors));
        _files = files;
    }

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        using var weights = SafetensorsWeights.Open(folder);
        foreach (var name in weights.TensorNames) _ = weights.FileOf(name);
        foreach (var file in weights.Files) SafetensorsSeed.ReadAll(file);
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => SafetensorsSeed.IsDocumented(exception) || exception is FileNotFoundException;
}
