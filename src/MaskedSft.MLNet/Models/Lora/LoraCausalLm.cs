// A causal LM with LoRA adapters as the trainer sees it: the base model's forward pass, the adapters as its only parameters.
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>
/// An <see cref="ICausalLm"/> view of a base model with LoRA adapters attached (a <see cref="LoraModel"/>), for the
/// <see cref="Training.Trainer"/>: the forward pass is the base model's (whose Linear layers run the adapters),
/// <see cref="NamedParameters"/> and <see cref="TrainableParameters"/> are the adapters only (so only they reach the
/// optimizer, are clipped and are checkpointed), <see cref="Save"/> writes a peft adapter folder and
/// <see cref="LoadSavedWeights"/> reads one back into the attached adapters (the trainer's exact resume).
/// <para>It owns both the base model and the adapters: disposing it detaches the adapters and disposes the base model.
/// Generation works through <see cref="IKvCacheCausalLm"/> when the base model decodes with a KV cache.</para>
/// </summary>
public sealed class LoraCausalLm : IKvCacheCausalLm
{
    private readonly ICausalLm _base;
    private bool _disposed;

    /// <summary>Wraps a base model and adapters attached to it.</summary>
    /// <param name="baseModel">The base model (a <see cref="Module"/>, the one <paramref name="adapters"/> adapts).</param>
    /// <param name="adapters">The adapters attached to <paramref name="baseModel"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The adapters were attached to another model.</exception>
    public LoraCausalLm(ICausalLm baseModel, LoraModel adapters)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(adapters);
        if (!ReferenceEquals(adapters.BaseModel, baseModel))
            throw new ArgumentException("the adapters are attached to another model than the one given. Hint: LoraModel.Create(baseModel, ...) and pass the same baseModel.", nameof(adapters));
        _base = baseModel;
        Adapters = adapters;
    }

    /// <summary>Attaches new trainable adapters to <paramref name="baseModel"/> (see <see cref="LoraModel.Create"/>).</summary>
    /// <param name="baseModel">The base model, already on its device.</param>
    /// <param name="config">The LoRA settings.</param>
    /// <param name="seed">Seed of the adapters' initial values.</param>
    /// <returns>The wrapper (owning the base model).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The config is invalid or matches no module; the model is not a <see cref="Module"/>.</exception>
    public static LoraCausalLm Create(ICausalLm baseModel, LoraConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        return new LoraCausalLm(baseModel, LoraModel.Create(AsModule(baseModel), config, seed));
    }

    /// <summary>Attaches a saved peft adapter to <paramref name="baseModel"/> (see <see cref="LoraModel.Load"/>).</summary>
    /// <param name="baseModel">The base model the adapter was trained on.</param>
    /// <param name="directory">The adapter folder (adapter_config.json, adapter_model.safetensors).</param>
    /// <param name="trainable">Whether the adapters train further.</param>
    /// <returns>The wrapper (owning the base model).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="FileNotFoundException">A file of the folder is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or a tensor does not fit the model.</exception>
    public static LoraCausalLm Load(ICausalLm baseModel, string directory, bool trainable = false)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        return new LoraCausalLm(baseModel, LoraModel.Load(AsModule(baseModel), directory, trainable));
    }

    /// <summary>The adapters.</summary>
    public LoraModel Adapters { get; }

    /// <summary>The base model (frozen while the adapters are attached).</summary>
    public ICausalLm BaseModel => _base;

    /// <summary>The base architecture with a <c>+lora</c> suffix (checkpoints of full and LoRA runs do not mix).</summary>
    public string Architecture => _base.Architecture + "+lora";

    /// <inheritdoc />
    public int VocabSize => _base.VocabSize;

    /// <inheritdoc />
    public int HiddenSize => _base.HiddenSize;

    /// <inheritdoc />
    public int MaxSequenceLength => _base.MaxSequenceLength;

    /// <inheritdoc />
    public Device Device => _base.Device;

    /// <inheritdoc />
    public ScalarType DType => _base.DType;

    /// <inheritdoc />
    public Tensor HeadWeight => _base.HeadWeight;

    /// <inheritdoc />
    public bool IsTraining => _base.IsTraining;

    /// <summary>The base model's generation settings.</summary>
    /// <exception cref="NotSupportedException">The base model does not decode with a KV cache.</exception>
    public GenerationConfig GenerationConfig => KvBase.GenerationConfig;

    /// <summary>The adapter parameters (peft's names without the <c>base_model.model.</c> prefix).</summary>
    /// <returns>The adapters' (name, parameter) pairs.</returns>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() => Adapters.NamedParameters();

    /// <summary>The adapter parameters that require gradients.</summary>
    /// <returns>The parameters.</returns>
    public IEnumerable<Parameter> TrainableParameters() => Adapters.Parameters().Where(p => p.RequiresGrad);

    /// <inheritdoc />
    public Module Train(bool training = true)
    {
        var module = _base.Train(training);
        foreach (var layer in Adapters.Layers) layer.Train(training);
        return module;
    }

    /// <summary>Moves the base model and the adapters to a device.</summary>
    /// <param name="device">The device.</param>
    /// <param name="dtype">The base model's compute dtype, or null to keep it (the adapters stay in their own dtype).</param>
    /// <returns>The base model.</returns>
    public Module To(Device device, ScalarType? dtype = null)
    {
        var module = _base.To(device, dtype);
        Adapters.To(device);
        return module;
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor inputs) => _base.Forward(inputs);

    /// <inheritdoc />
    public Tensor ForwardHidden(CausalLmInput input) => _base.ForwardHidden(input);

    /// <inheritdoc />
    public Tensor ForwardHidden(CausalLmInput input, KvCache cache) => KvBase.ForwardHidden(input, cache);

    /// <inheritdoc />
    public KvCache CreateKvCache(int batchSize, int capacity) => KvBase.CreateKvCache(batchSize, capacity);

    /// <summary>Saves the adapters as a peft adapter folder (adapter_config.json + adapter_model.safetensors).</summary>
    /// <param name="directory">The folder (created when missing).</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Save(string directory) => Adapters.Save(directory);

    /// <summary>Reads the adapter weights <see cref="Save"/> wrote into the attached adapters (no gradient recorded).</summary>
    /// <param name="directory">The folder.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="FileNotFoundException">adapter_model.safetensors is missing.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing or mis-shaped.</exception>
    public void LoadSavedWeights(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var path = Path.Combine(directory, PeftAdapterWeights.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing (a LoRA checkpoint holds the peft adapter).", path);
        PeftAdapterWeights.Read(path, Adapters.Layers, null);
    }

    /// <summary>Detaches the adapters and disposes the base model.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Adapters.Dispose();
        _base.Dispose();
    }

    private IKvCacheCausalLm KvBase => _base as IKvCacheCausalLm
        ?? throw new NotSupportedException($"the base model ({_base.Architecture}) does not decode with a KV cache.");

    private static Module AsModule(ICausalLm model) => model as Module
        ?? throw new ArgumentException($"LoRA adapts Module-based models; {model.GetType().Name} is not one.", nameof(model));
}
