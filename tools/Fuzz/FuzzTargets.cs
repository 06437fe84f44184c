// The registry of fuzz targets, by name.
using MaskedSft.Tools.Fuzz.Targets;

namespace MaskedSft.Tools.Fuzz;

/// <summary>Every target of the harness.</summary>
public static class FuzzTargets
{
    /// <summary>The target names, in run order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "episodes", "tokenizer-json", "gpt2-files", "tokenizer-config", "safetensors", "safetensors-sharded", "chat-jsonl", "checkpoint", "model-config", "peft-adapter",
    ];

    /// <summary>Creates a target by name.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>A new target (dispose it).</returns>
    /// <exception cref="ArgumentException">No target has this name.</exception>
    public static FuzzTarget Create(string name) => name switch
    {
        "episodes" => new EpisodeDatasetTarget(),
        "tokenizer-json" => new TokenizerJsonTarget(),
        "gpt2-files" => new Gpt2FilesTarget(),
        "tokenizer-config" => new TokenizerConfigTarget(),
        "safetensors" => new SafetensorsTarget(),
        "safetensors-sharded" => new ShardedSafetensorsTarget(),
        "chat-jsonl" => new ChatJsonlTarget(),
        "checkpoint" => new CheckpointTarget(),
        "model-config" => new ModelConfigTarget(),
        "peft-adapter" => new PeftAdapterTarget(),
        _ => throw new ArgumentException($"no fuzz target '{name}'; targets: {string.Join(", ", Names)}.", nameof(name)),
    };
}
