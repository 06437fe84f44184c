// What a fitted CausalLmTransformer scores with: the model and its block; saved as the weights file plus a small JSON.
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>The model of a <see cref="CausalLmTransformer"/> with its scorer; serializes to bytes for model files.</summary>
internal sealed class CausalLmState
{
    private const string SettingsEntry = "causal-lm.json";
    private const string WeightsEntry = "model.safetensors";

    public CausalLmState(TinyGpt model)
    {
        Model = model;
        Scorer = new CausalLmScorer(model, model.Device, model.Config.BlockSize);
    }

    public TinyGpt Model { get; }

    public CausalLmScorer Scorer { get; }

    /// <summary>The weights (safetensors, config in the metadata) and the architecture, as bytes.</summary>
    public byte[] ToBytes()
    {
        string file = Path.Combine(Path.GetTempPath(), "maskedsft-weights-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            Model.SaveWeights(file);
            var settings = new JsonObject { ["architecture"] = "tiny-gpt", ["format"] = 1 };
            return new StateBundle()
                .Add(SettingsEntry, JsonSerializer.SerializeToUtf8Bytes(settings))
                .Add(WeightsEntry, File.ReadAllBytes(file))
                .ToBytes();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Rebuilds the model on the CPU from <see cref="ToBytes"/>, in evaluation mode.</summary>
    /// <exception cref="InvalidDataException">The state is not a tiny GPT of a known format.</exception>
    public static CausalLmState FromBytes(byte[] bytes)
    {
        var bundle = StateBundle.FromBytes(bytes);
        var settings = JsonNode.Parse(bundle.Get(SettingsEntry))!.AsObject();
        if ((string?)settings["architecture"] != "tiny-gpt" || (int?)settings["format"] != 1)
        {
            throw new InvalidDataException($"The saved causal LM is '{settings["architecture"]}' format {settings["format"]}; this build reads tiny-gpt format 1. Hint: load it with the MaskedSft.MLNet version that saved it.");
        }

        string file = Path.Combine(Path.GetTempPath(), "maskedsft-weights-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            File.WriteAllBytes(file, bundle.Get(WeightsEntry));
            var model = TinyGpt.Load(file, Device.Cpu);
            model.Train(false);
            return new CausalLmState(model);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
