// The model interface every causal LM implements (the tiny GPT, Llama, Qwen2, Qwen3): hidden states, head, parameters, save.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models;

/// <summary>
/// A decoder-only language model as the losses, the training engine, generation and the ML.NET components see it. The
/// model computes hidden states; losses live in <c>MaskedSft.MLNet.Losses</c> and project only the positions they need
/// through <see cref="HeadWeight"/> (so (N, V) logits of unsupervised positions are never made).
/// Implementations derive from <see cref="Module"/>, whose members satisfy <see cref="NamedParameters"/>,
/// <see cref="IsTraining"/>, <see cref="Train"/> and <see cref="To"/>.
/// </summary>
public interface ICausalLm : ILogitsModel, IDisposable
{
    /// <summary>The architecture's name (<c>tiny-gpt</c>, or the Hugging Face class such as <c>LlamaForCausalLM</c>).</summary>
    string Architecture { get; }

    /// <summary>Width C of the hidden states <see cref="ForwardHidden"/> returns.</summary>
    int HiddenSize { get; }

    /// <summary>Longest sequence the model accepts (the tiny GPT's block size, a pretrained model's max_position_embeddings).</summary>
    int MaxSequenceLength { get; }

    /// <summary>Where the parameters live.</summary>
    Device Device { get; }

    /// <summary>The compute dtype of the parameters (float32 unless the model was loaded or moved otherwise).</summary>
    ScalarType DType { get; }

    /// <summary>(V, C) the LM head's weight (the token embedding when tied): logits = hidden · HeadWeightᵀ.</summary>
    Tensor HeadWeight { get; }

    /// <summary>Whether the model is in training mode (dropout active).</summary>
    bool IsTraining { get; }

    /// <summary>Every parameter with its dotted name (the names of the model's file format).</summary>
    /// <returns>The parameters in registration order.</returns>
    IEnumerable<(string Name, Parameter Parameter)> NamedParameters();

    /// <summary>Switches training mode on or off.</summary>
    /// <param name="training">True for training mode.</param>
    /// <returns>The model.</returns>
    Module Train(bool training = true);

    /// <summary>Moves the parameters to a device and, when given, a dtype.</summary>
    /// <param name="device">The device.</param>
    /// <param name="dtype">The floating-point dtype, or null to keep it.</param>
    /// <returns>The model.</returns>
    Module To(Device device, ScalarType? dtype = null);

    /// <summary>The final hidden states (after the final norm), one row per input position.</summary>
    /// <param name="input">Token ids and, for padded or packed rows, positions, attention mask and document ids.</param>
    /// <returns>(B, T, C) hidden states in <see cref="DType"/> on <see cref="Device"/>.</returns>
    /// <exception cref="ArgumentException">The input's shapes are wrong or T exceeds <see cref="MaxSequenceLength"/>.</exception>
    Tensor ForwardHidden(CausalLmInput input);

    /// <summary>Saves the model in its own format into a directory (a Hugging Face folder for pretrained families).</summary>
    /// <param name="directory">The directory (created when missing); files are replaced atomically.</param>
    /// <exception cref="IOException">Writing failed.</exception>
    void Save(string directory);

    /// <summary>Reads back into this model the weights <see cref="Save"/> wrote into <paramref name="directory"/> (what a
    /// trainer checkpoint holds). By default every parameter of <see cref="NamedParameters"/> from the folder's
    /// <c>model.safetensors</c>; models whose <see cref="Save"/> writes another layout (a LoRA adapter) read that.</summary>
    /// <param name="directory">The folder.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="Torch.Safetensors.SafetensorsTensorException">A parameter is missing or has another shape or dtype.</exception>
    void LoadSavedWeights(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        CausalLmWeights.LoadInto(this, Path.Combine(directory, "model.safetensors"));
    }
}
