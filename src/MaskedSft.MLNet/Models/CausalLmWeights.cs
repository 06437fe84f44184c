// Restores a causal LM's parameters, by name, from a safetensors file (what a checkpoint or ICausalLm.Save wrote).
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Models;

/// <summary>Loads weights into an existing model: every parameter named by <see cref="ICausalLm.NamedParameters"/> is read
/// from the file under that name (converted to the parameter's dtype and device); the file may hold more tensors.</summary>
public static class CausalLmWeights
{
    /// <summary>Copies every parameter of <paramref name="model"/> from a safetensors file, without recording gradients.</summary>
    /// <param name="model">The model whose parameters are overwritten.</param>
    /// <param name="path">The safetensors file (e.g. a checkpoint's <c>model.safetensors</c>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="SafetensorsTensorException">A parameter is missing from the file or has another shape or dtype.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public static void LoadInto(ICausalLm model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        using var file = SafetensorsFile.Open(path);
        foreach (var (name, p) in model.NamedParameters()) file.ReadInto(name, p);
    }
}
