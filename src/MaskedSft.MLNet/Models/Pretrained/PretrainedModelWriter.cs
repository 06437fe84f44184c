// Saves a pretrained model as a Hugging Face folder: config.json, generation_config.json, safetensors (sharded + index
// when large), in the model's compute dtype.
using MaskedSft.Torch.IO;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Writes a <see cref="PretrainedCausalLm"/> as a folder transformers' <c>from_pretrained</c> loads.</summary>
public static class PretrainedModelWriter
{
    /// <summary>Writes the folder. The weights are written in the parameters' dtype (a tied head is not written, as
    /// transformers does), split into shards of at most <paramref name="maxShardBytes"/> with model.safetensors.index.json
    /// when they do not fit one; files of an earlier save that this one does not rewrite are removed.</summary>
    /// <param name="model">The model.</param>
    /// <param name="directory">The folder (created when missing).</param>
    /// <param name="maxShardBytes">Most bytes per shard (transformers' default is 5 GB).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxShardBytes"/> is not positive.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public static void Save(PretrainedCausalLm model, string directory, long maxShardBytes = SafetensorsShardedWriter.DefaultMaxShardBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        var writer = new SafetensorsShardedWriter(maxShardBytes).SetMetadata("format", "pt");
        foreach (var (name, parameter) in model.NamedParameters()) writer.AddTensor(name, parameter);
        writer.Save(directory);
        WriteText(Path.Combine(directory, PretrainedLmConfig.FileName), model.Config.ToJson(model.DType));
        WriteText(Path.Combine(directory, GenerationConfig.FileName), model.GenerationConfig.ToJson());
    }

    /// <summary>The tokenizer files of a Hugging Face folder that <see cref="CopyTokenizerFiles"/> copies when present.</summary>
    public static IReadOnlyList<string> TokenizerFileNames { get; } =
    [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
        "chat_template.json", "vocab.json", "merges.txt", "tokenizer.model",
    ];

    /// <summary>Copies the tokenizer files (<see cref="TokenizerFileNames"/>, those present) of the folder a model was
    /// loaded from into the folder it was saved to, so the saved folder is complete for transformers and for
    /// <c>prepare --tokenizer</c>.</summary>
    /// <param name="sourceDirectory">The original model folder.</param>
    /// <param name="directory">The saved model folder.</param>
    /// <returns>The names of the files copied.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="IOException">Copying failed.</exception>
    public static IReadOnlyList<string> CopyTokenizerFiles(string sourceDirectory, string directory)
    {
        ArgumentNullException.ThrowIfNull(sourceDirectory);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        var copied = new List<string>();
        foreach (var name in TokenizerFileNames)
        {
            var source = Path.Combine(sourceDirectory, name);
            if (!File.Exists(source)) continue;
            var target = Path.Combine(directory, name);
            if (Path.GetFullPath(source) == Path.GetFullPath(target)) continue;
            File.Copy(source, target, overwrite: true);
            copied.Add(name);
        }

        return copied;
    }

    private static void WriteText(string path, string text) =>
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text + "\n")));
}
