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

    private static void WriteText(string path, string text) =>
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text + "\n")));
}
