// Loads a Hugging Face model folder: config.json (+ generation_config.json), then the safetensors weights (single file or
// sharded index), memory-mapped and copied tensor by tensor straight into the parameters.
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Reads a model folder into a <see cref="PretrainedCausalLm"/>. The weights are memory-mapped; each tensor is copied once
/// from the map into its parameter (converting bf16/fp16/fp32 on disk to the compute dtype on the way), so a model is
/// never held twice in host memory. A tied model has no <c>lm_head.weight</c>; an untied one must have it.
/// </summary>
public static class PretrainedModelLoader
{
    /// <summary>Loads the model of a folder.</summary>
    /// <param name="directory">The folder: config.json, model.safetensors or model.safetensors.index.json + shards, and
    /// optionally generation_config.json.</param>
    /// <param name="options">Device, compute dtype and checks (CPU float32 when null).</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    /// <exception cref="ModelConfigException">A config file is invalid or asks for something unsupported.</exception>
    /// <exception cref="SafetensorsTensorException">A parameter's tensor is missing or has another shape (the message names
    /// the tensor, the expected and the actual shape), or, with <see cref="PretrainedModelOptions.RejectUnexpectedTensors"/>,
    /// the checkpoint holds tensors the model does not use.</exception>
    /// <exception cref="SafetensorsFormatException">A weights file is malformed.</exception>
    public static PretrainedCausalLm Load(string directory, PretrainedModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        options ??= new PretrainedModelOptions();
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"model folder '{directory}' does not exist. Hint: pass the folder that holds config.json and the safetensors files.");
        var config = PretrainedLmConfig.Load(Path.Combine(directory, PretrainedLmConfig.FileName));
        var generationPath = Path.Combine(directory, GenerationConfig.FileName);
        var generation = (File.Exists(generationPath) ? GenerationConfig.Load(generationPath) : GenerationConfig.FromModelConfig(config))
            with { EosTokenIds = EndOfSequenceIds.FromFolder(directory).Ids };
        using var weights = SafetensorsWeights.Open(directory);
        var model = new PretrainedCausalLm(config, options) { GenerationConfig = generation };
        try
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, parameter) in model.NamedParameters())
            {
                if (!weights.Contains(name))
                {
                    throw new SafetensorsTensorException(name, weights.Files.Select(f => f.FilePath).ToList(),
                        $"tensor '{name}' of shape [{string.Join(", ", parameter.Shape)}] is missing",
                        MissingHint(name, config));
                }

                weights.ReadInto(name, parameter, convertDType: true);
                used.Add(name);
            }

            var unused = weights.TensorNames.Where(n => !used.Contains(n)).ToList();
            if (unused.Count > 0 && options.RejectUnexpectedTensors)
            {
                throw new SafetensorsTensorException(unused[0], weights.Files.Select(f => f.FilePath).ToList(),
                    $"{unused.Count} tensor(s) the {config.Architecture.ClassName()} model does not use: {string.Join(", ", unused.Take(10))}{(unused.Count > 10 ? ", ..." : "")}",
                    "the checkpoint belongs to another architecture or configuration; load without RejectUnexpectedTensors to ignore them.");
            }

            model.UnusedCheckpointTensors = unused;
            model.Eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static string MissingHint(string name, PretrainedLmConfig config) => name switch
    {
        "lm_head.weight" => "config.json says tie_word_embeddings = false, so the head needs its own weight; if the head is tied to the embedding, set tie_word_embeddings to true.",
        _ when name.EndsWith(".bias", StringComparison.Ordinal) => "config.json asks for biases the checkpoint lacks (attention_bias / mlp_bias); check the config against the checkpoint.",
        _ when name.Contains("_norm.", StringComparison.Ordinal) && config.HasQkNorm => "Qwen3 checkpoints have q_norm/k_norm weights; the config's architecture may be wrong.",
        _ => "the checkpoint was written for another configuration (compare num_hidden_layers and the module names with the files' tensors).",
    };
}
