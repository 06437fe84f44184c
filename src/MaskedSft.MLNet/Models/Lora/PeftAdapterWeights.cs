// adapter_model.safetensors as peft writes and reads it: "base_model.model.<module path>.lora_A.weight" / "...lora_B.weight".
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>Reads and writes peft's <c>adapter_model.safetensors</c> for LoRA layers (no adapter name in the keys).</summary>
internal static class PeftAdapterWeights
{
    /// <summary>The file name peft uses.</summary>
    public const string FileName = "adapter_model.safetensors";

    /// <summary>The prefix of every key: PeftModel's <c>base_model</c> (the LoRA model) and its <c>model</c> (the base model).</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary>The key of a layer's A.</summary>
    public static string KeyOfA(string path) => $"{KeyPrefix}{path}.lora_A.weight";

    /// <summary>The key of a layer's B.</summary>
    public static string KeyOfB(string path) => $"{KeyPrefix}{path}.lora_B.weight";

    /// <summary>Writes every layer's A and B in its dtype, with peft's metadata (format = pt), atomically.</summary>
    public static void Write(string path, IReadOnlyList<LoraLayer> layers)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            tensors[KeyOfA(layer.Path)] = layer.A;
            tensors[KeyOfB(layer.Path)] = layer.B;
        }

        SafetensorsTensorIO.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Copies A and B of every layer from the file (converted to the layers' dtype and device); every key of
    /// the file must belong to a layer and every layer must find both of its tensors with its shapes.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected, of another shape, or not floating point.</exception>
    public static void Read(string path, IReadOnlyList<LoraLayer> layers, string? baseModel)
    {
        using var file = SafetensorsFile.Open(path);
        var expected = new Dictionary<string, (LoraLayer Layer, bool IsA)>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            expected[KeyOfA(layer.Path)] = (layer, true);
            expected[KeyOfB(layer.Path)] = (layer, false);
        }

        var unexpected = file.Tensors.Select(t => t.Name).Where(n => !expected.ContainsKey(n)).ToList();
        if (unexpected.Count > 0)
        {
            throw new InvalidDataException(
                $"{path}: {unexpected.Count} tensor(s) belong to no adapted module of this model: {Sample(unexpected)}. {HintFor(unexpected[0], expected.Keys.First(), baseModel)}");
        }

        var missing = expected.Keys.Where(k => !file.Contains(k)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException(
                $"{path}: {missing.Count} adapter tensor(s) are missing: {Sample(missing)}. Hint: adapter_config.json targets modules the saved weights do not cover; the file is incomplete or belongs to another adapter.");
        }

        foreach (var (key, (layer, isA)) in expected)
        {
            var info = file.GetInfo(key);
            var destination = isA ? layer.A : layer.B;
            var shape = destination.Shape;
            if (!info.Shape.SequenceEqual(shape))
            {
                var role = isA ? $"A (r, in) = [{layer.Rank}, {layer.BaseLayer.InFeatures}]" : $"B (out, r) = [{layer.BaseLayer.OutFeatures}, {layer.Rank}]";
                throw new InvalidDataException(
                    $"{path}: '{key}' has shape [{string.Join(", ", info.GetShapeArray())}] but '{layer.Path}' (Linear {layer.BaseLayer.InFeatures} -> {layer.BaseLayer.OutFeatures}, r = {layer.Rank}) needs {role}. " +
                    $"Hint: the adapter was trained on another base model{(baseModel is null ? string.Empty : $" ({baseModel})")} or its r / rank_pattern differ from the weights.");
            }

            if (info.DType is not (SafetensorsDType.F32 or SafetensorsDType.BF16 or SafetensorsDType.F16 or SafetensorsDType.F64))
            {
                throw new InvalidDataException($"{path}: '{key}' is {info.DType.HeaderCode()}; adapter weights must be F32, BF16, F16 or F64.");
            }

            file.ReadInto(key, destination, convertDType: true);
        }
    }

    private static string Sample(List<string> names) =>
        string.Join(", ", names.Take(4).Select(n => $"'{n}'")) + (names.Count > 4 ? $", ... ({names.Count - 4} more)" : string.Empty);

    private static string HintFor(string unexpected, string expectedExample, string? baseModel)
    {
        if (unexpected.Contains("lora_magnitude_vector", StringComparison.Ordinal))
            return "Hint: this is a DoRA adapter (use_dora), which is not supported.";
        if (unexpected.Contains("lora_embedding_", StringComparison.Ordinal))
            return "Hint: LoRA on embedding layers is not supported; only Linear layers.";
        if (unexpected.Contains(".modules_to_save.", StringComparison.Ordinal) || !unexpected.Contains(".lora_", StringComparison.Ordinal))
            return "Hint: the adapter saves fully trained modules besides LoRA (modules_to_save), which is not supported.";
        if (!unexpected.StartsWith(KeyPrefix, StringComparison.Ordinal))
            return $"Hint: peft's keys start with '{KeyPrefix}' (e.g. '{expectedExample}'); this file was written by another tool.";
        return $"Hint: module paths differ from this model's (e.g. '{expectedExample}'); the adapter belongs to another architecture{(baseModel is null ? string.Empty : $" (base model {baseModel})")} or targets modules this config does not.";
    }
}
