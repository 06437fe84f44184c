// How new LoRA adapters start (peft's init_lora_weights).
namespace MaskedSft.MLNet.Models.Lora;

/// <summary>The initial values of new adapters (peft's <c>init_lora_weights</c>); loaded adapters take the file's values.</summary>
public enum LoraInit
{
    /// <summary>peft's <c>true</c>: A kaiming-uniform with a = sqrt(5) (uniform in ±1/sqrt(in)), B zero, so the adapted
    /// model starts equal to the base model.</summary>
    Default,

    /// <summary>peft's <c>"gaussian"</c>: A normal with standard deviation 1/r, B zero.</summary>
    Gaussian,

    /// <summary>peft's <c>false</c>: A and B both as a fresh nn.Linear (uniform in ±1/sqrt(fan in)), so the adapter changes
    /// the outputs from the start (for tests).</summary>
    Random,
}
