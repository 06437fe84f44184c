// The one reader of end-of-sequence ids: the eos_token_id field (an id or a list) and which file of a model folder names them.
using System.Text.Json.Nodes;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Reads <c>eos_token_id</c> for every consumer: <see cref="GenerationConfig"/>, the config.json reader, the model loader and
/// the model-folder tokenizer. A folder's eos ids are generation_config.json's when it names some, else config.json's
/// (transformers' order: generation defaults first, the model config as their fallback).
/// </summary>
internal static class EndOfSequenceIds
{
    /// <summary>The field's name in config.json and generation_config.json.</summary>
    public const string Field = "eos_token_id";

    /// <summary>The field of a parsed config object: an id or a list of ids; empty when absent or null.</summary>
    /// <param name="reader">The reader of the file (for errors naming it).</param>
    /// <param name="config">The parsed object.</param>
    /// <returns>The ids in the file's order.</returns>
    /// <exception cref="ModelConfigException">The field is neither an integer nor a list of integers.</exception>
    public static int[] Read(ConfigJsonReader reader, JsonObject config) => reader.IntOrIntList(config, Field);

    /// <summary>The eos ids a model folder names, and the file that names them.</summary>
    /// <param name="folder">The model folder.</param>
    /// <returns>generation_config.json's ids when it names some, else config.json's; (empty, null) when neither does.</returns>
    /// <exception cref="ModelConfigException">A file is not a JSON object or its field is mistyped.</exception>
    public static (int[] Ids, string? File) FromFolder(string folder)
    {
        foreach (var name in new[] { GenerationConfig.FileName, PretrainedLmConfig.FileName })
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            var reader = new ConfigJsonReader(path, $"{name} names the end-of-sequence tokens as an id or a list of ids.");
            var config = reader.ParseObject(File.ReadAllText(path));
            if (ConfigJsonReader.Has(config, Field)) return (Read(reader, config), path);
        }

        return ([], null);
    }
}
