// The options shared by the commands that run a Hugging Face model folder: --model, --device, --dtype, --adapter.
using System.CommandLine;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.Cli.Commands;

/// <summary>--model DIR, --device, --dtype and --adapter, and loading the model they name.</summary>
internal sealed class ModelFolderArguments
{
    /// <summary>The model folder (config.json, safetensors weights, tokenizer files).</summary>
    public Option<string> Model { get; } = new("--model") { Description = "A Hugging Face model folder: config.json, model.safetensors (or a sharded index), tokenizer files.", Required = true };

    /// <summary>Where the model runs.</summary>
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };

    /// <summary>The compute dtype.</summary>
    public Option<string?> DType { get; } = new("--dtype") { Description = "Compute dtype: float32, bfloat16 or float16 (default: float32 on the CPU, bfloat16 on CUDA)." };

    /// <summary>A peft adapter folder applied on top of the model.</summary>
    public Option<string?> Adapter { get; } = new("--adapter") { Description = "A peft LoRA adapter folder (adapter_config.json, adapter_model.safetensors) to apply on top of --model, e.g. one `train --lora-rank` saved." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Device);
        command.Options.Add(DType);
        command.Options.Add(Adapter);
    }

    /// <summary>Loads the model the options name, with the adapter attached when --adapter is given (unmerged, as peft
    /// computes it; the returned model owns it).</summary>
    /// <param name="parseResult">The parsed command line.</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="FormatException">--device or --dtype is not a valid name.</exception>
    /// <exception cref="InvalidDataException">The adapter does not fit the model.</exception>
    public IKvCacheCausalLm Load(ParseResult parseResult)
    {
        var device = MaskedSft.Torch.Device.Parse(parseResult.GetValue(Device)!);
        var dtype = PretrainedTrainArguments.ParseDType(parseResult.GetValue(DType));
        var model = PretrainedModelLoader.Load(parseResult.GetValue(Model)!, new PretrainedModelOptions { Device = device, DType = dtype });
        if (parseResult.GetValue(Adapter) is not { } adapter) return model;
        try
        {
            var adapted = LoraCausalLm.Load(model, adapter);
            adapted.Train(false);
            return adapted;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
