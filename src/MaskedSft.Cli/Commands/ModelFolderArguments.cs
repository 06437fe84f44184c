// The options shared by the commands that run a Hugging Face model folder: --model, --device, --dtype.
using System.CommandLine;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.Cli.Commands;

/// <summary>--model DIR, --device and --dtype, and loading the model they name.</summary>
internal sealed class ModelFolderArguments
{
    /// <summary>The model folder (config.json, safetensors weights, tokenizer files).</summary>
    public Option<string> Model { get; } = new("--model") { Description = "A Hugging Face model folder: config.json, model.safetensors (or a sharded index), tokenizer files.", Required = true };

    /// <summary>Where the model runs.</summary>
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };

    /// <summary>The compute dtype.</summary>
    public Option<string?> DType { get; } = new("--dtype") { Description = "Compute dtype: float32, bfloat16 or float16 (default: float32 on the CPU, bfloat16 on CUDA)." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Device);
        command.Options.Add(DType);
    }

    /// <summary>Loads the model the options name.</summary>
    /// <param name="parseResult">The parsed command line.</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="FormatException">--device or --dtype is not a valid name.</exception>
    public PretrainedCausalLm Load(ParseResult parseResult)
    {
        var device = MaskedSft.Torch.Device.Parse(parseResult.GetValue(Device)!);
        ScalarType? dtype = null;
        if (parseResult.GetValue(DType) is { } name)
        {
            dtype = TorchDTypeNames.TryParse(name, out var parsed) && parsed != ScalarType.Float64
                ? parsed
                : throw new FormatException($"--dtype '{name}' is not float32, bfloat16 or float16.");
        }

        return PretrainedModelLoader.Load(parseResult.GetValue(Model)!, new PretrainedModelOptions { Device = device, DType = dtype });
    }
}
