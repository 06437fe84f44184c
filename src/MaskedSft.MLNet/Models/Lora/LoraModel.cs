// LoRA on any model built from MaskedSft.Torch.Nn modules: inject by module name, train only adapters, disable, merge, peft files.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>
/// LoRA adapters attached to the Linear layers of a base model that knows nothing about them (peft's LoraModel): each
/// selected layer's <see cref="Linear.Adapter"/> is set, so the model's own forward pass computes
/// <c>x Wᵀ + b + dropout(x) Aᵀ Bᵀ · scale</c>. Every base parameter is frozen (requires_grad off) while the adapters are
/// attached; only <see cref="NamedParameters"/> train. The base model's parameters, names and files stay as they were:
/// its own save writes the base weights (call <see cref="Merge"/> first to save a merged model).
/// <para>With <see cref="AdaptersEnabled"/> off the model computes exactly the base model (the RL reference, without a
/// second copy). <see cref="Save"/> and <see cref="Load"/> use peft's folder format (adapter_config.json +
/// adapter_model.safetensors), so adapters move between this library and Python's peft both ways.</para>
/// <para>Create the LoRA model after placing the base model on its device: adapters start on the device of the layer
/// they adapt, and <see cref="To"/> moves them later. Disposing detaches the adapters and restores the base model
/// (unmerging if merged, and the parameters' requires_grad flags); the base model itself stays the caller's.</para>
/// </summary>
public sealed class LoraModel : IDisposable
{
    private readonly List<LoraLayer> _layers;
    private readonly List<(Parameter Parameter, bool RequiresGrad)> _frozen;
    private bool _enabled = true;
    private bool _disposed;

    private LoraModel(Module baseModel, LoraConfig config, List<LoraLayer> layers, List<(Parameter, bool)> frozen)
    {
        BaseModel = baseModel;
        Config = config;
        _layers = layers;
        _frozen = frozen;
    }

    /// <summary>The adapted model.</summary>
    public Module BaseModel { get; }

    /// <summary>The settings the adapters were made with.</summary>
    public LoraConfig Config { get; }

    /// <summary>The adapters, in the base model's module order.</summary>
    public IReadOnlyList<LoraLayer> Layers => _layers;

    /// <summary>The dotted paths of the adapted layers.</summary>
    public IReadOnlyList<string> TargetPaths => _layers.Select(l => l.Path).ToList();

    /// <summary>Whether the adapters are merged into the base weights (<see cref="Merge"/>).</summary>
    public bool IsMerged => _layers.Count > 0 && _layers[0].IsMerged;

    /// <summary>Number of adapter scalars (what trains).</summary>
    public long ParameterCount => _layers.Sum(l => l.A.NumberOfElements + l.B.NumberOfElements);

    /// <summary>Whether the adapters contribute (default true). Off, every adapted layer returns exactly its base output.</summary>
    /// <exception cref="InvalidOperationException">Turned off while merged (the base weights hold the adapters then).</exception>
    public bool AdaptersEnabled
    {
        get => _enabled;
        set
        {
            ThrowIfDisposed();
            if (!value && IsMerged)
                throw new InvalidOperationException("the adapters are merged into the base weights, so they cannot be disabled. Hint: call Unmerge() first.");
            _enabled = value;
            foreach (var layer in _layers) layer.Enabled = value;
        }
    }

    /// <summary>Attaches new adapters to the layers <paramref name="config"/> selects (peft's get_peft_model).</summary>
    /// <param name="model">The base model (any module tree of MaskedSft.Torch.Nn modules; its Linear layers are adapted).</param>
    /// <param name="config">The settings.</param>
    /// <param name="seed">Seed of the adapters' initial values (drawn on the CPU, so a seed gives the same values on every device).</param>
    /// <param name="adapterDType">The adapters' dtype: float32 by default whatever the base dtype (peft's autocast_adapter_dtype).</param>
    /// <returns>The LoRA model; adapters trainable, base parameters frozen.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The config is invalid, or its targets match no module of the model.</exception>
    /// <exception cref="NotSupportedException">A target is not a Linear layer, or is the output head (lm_head).</exception>
    /// <exception cref="InvalidOperationException">A target layer already has an adapter.</exception>
    public static LoraModel Create(Module model, LoraConfig config, ulong seed = 0, ScalarType adapterDType = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (adapterDType is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"adapter dtype must be floating point; got {adapterDType}.", nameof(adapterDType));
        var targets = LoraTargeting.Resolve(model, config);
        var layers = new List<LoraLayer>(targets.Count);
        using var generator = Generator.Create(seed);
        try
        {
            foreach (var (path, linear) in targets)
            {
                var (rank, alpha) = config.RankAndAlphaFor(path);
                var layer = new LoraLayer(path, linear, rank, alpha, config.ScalingFor(rank, alpha), config.Dropout, config.Init, generator, adapterDType);
                layers.Add(layer);
                var device = linear.Weight.Device;
                if (!device.IsCpu) layer.To(device);
            }
        }
        catch
        {
            foreach (var layer in layers) layer.Dispose();
            throw;
        }

        var frozen = model.Parameters().Distinct().Select(p => (p, p.RequiresGrad)).ToList();
        foreach (var (p, _) in frozen) p.RequiresGrad = false;
        foreach (var layer in layers) layer.BaseLayer.Adapter = layer;
        return new LoraModel(model, config, layers, frozen);
    }

    /// <summary>Attaches an adapter saved by peft's <c>save_pretrained</c> (or by <see cref="Save"/>) to a model: reads
    /// <c>adapter_config.json</c>, adapts the layers it targets and copies <c>adapter_model.safetensors</c> into them
    /// (F32, BF16, F16 or F64 on disk, converted to <paramref name="adapterDType"/>).</summary>
    /// <param name="model">The base model the adapter was trained on.</param>
    /// <param name="directory">The adapter folder.</param>
    /// <param name="trainable">Whether the adapters train (peft's is_trainable); false leaves them frozen for inference.</param>
    /// <param name="adapterDType">The adapters' dtype in memory (float32 by default).</param>
    /// <returns>The LoRA model.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="FileNotFoundException">A file of the folder is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, a tensor is missing or unexpected, or a shape differs
    /// from the model's (the message names the tensor, the expected and the actual shape).</exception>
    /// <exception cref="NotSupportedException">Another adapter type than LoRA, or a LoRA feature not implemented (DoRA, ...), named.</exception>
    /// <exception cref="ArgumentException">The config's targets match no module of the model.</exception>
    public static LoraModel Load(Module model, string directory, bool trainable = false, ScalarType adapterDType = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(directory);
        var configPath = Path.Combine(directory, PeftAdapterConfig.FileName);
        var config = PeftAdapterConfig.Read(configPath);
        var weights = Path.Combine(directory, PeftAdapterWeights.FileName);
        if (!File.Exists(weights))
        {
            var hint = File.Exists(Path.Combine(directory, "adapter_model.bin"))
                ? " Hint: adapter_model.bin (pickle) is not read; save it again with safe_serialization=True."
                : string.Empty;
            throw new FileNotFoundException($"{weights} is missing.{hint}", weights);
        }

        LoraModel lora;
        try
        {
            lora = Create(model, config, seed: 0, adapterDType);
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            throw new ArgumentException($"{configPath}: {e.Message}", e);
        }

        try
        {
            PeftAdapterWeights.Read(weights, lora._layers, config.BaseModelNameOrPath);
            foreach (var p in lora.Parameters()) p.RequiresGrad = trainable;
            return lora;
        }
        catch
        {
            lora.Dispose();
            throw;
        }
    }

    /// <summary>The adapter parameters with their names (<c>model.layers.0.self_attn.q_proj.lora_A.weight</c>: the module
    /// path and peft's parameter name; peft's saved key is <c>base_model.model.</c> + this name). Give these, and only
    /// these, to the optimizer.</summary>
    /// <returns>(name, parameter) pairs in module order, A before B.</returns>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        ThrowIfDisposed();
        foreach (var layer in _layers)
        {
            foreach (var (name, p) in layer.NamedParameters())
            {
                yield return ($"{layer.Path}.{name}", p);
            }
        }
    }

    /// <summary>The adapter parameters.</summary>
    /// <returns>The parameters in module order.</returns>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>A scope in which the adapters are off (the base model's outputs, bit for bit); disposing it turns them
    /// back on (peft's <c>with model.disable_adapter():</c>).</summary>
    /// <returns>The scope.</returns>
    /// <exception cref="InvalidOperationException">The adapters are merged.</exception>
    public IDisposable DisableAdapters()
    {
        var before = AdaptersEnabled;
        AdaptersEnabled = false;
        return new Restore(() => { if (!_disposed) AdaptersEnabled = before; });
    }

    /// <summary>Adds scale · B A into every adapted base weight (W += ΔW) so the forward pass costs what the base model's
    /// does; outputs equal the unmerged model's within floating-point rounding. Not for training (the adapters get no
    /// gradient while merged).</summary>
    public void Merge()
    {
        ThrowIfDisposed();
        if (!_enabled)
            throw new InvalidOperationException("the adapters are disabled; enable them before merging (a merged adapter always contributes).");
        foreach (var layer in _layers) layer.Merge();
    }

    /// <summary>Subtracts the merged adapters from the base weights again (the base weights come back up to rounding).</summary>
    public void Unmerge()
    {
        ThrowIfDisposed();
        foreach (var layer in _layers) layer.Unmerge();
    }

    /// <summary>Merges the adapters for good and detaches them (peft's merge_and_unload): the base model then computes the
    /// adapted function by itself and saves as a full model; requires_grad flags are restored and this object is disposed.</summary>
    public void MergeAndUnload()
    {
        ThrowIfDisposed();
        AdaptersEnabled = true;
        Merge();
        Detach(unmerge: false);
    }

    /// <summary>Saves the adapter in peft's format: <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> (keys
    /// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> / <c>lora_B.weight</c>, in the adapters' dtype), each
    /// written atomically. peft loads it with <c>PeftModel.from_pretrained(base, directory)</c>.</summary>
    /// <param name="directory">The folder (created when missing).</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ThrowIfDisposed();
        Directory.CreateDirectory(directory);
        PeftAdapterWeights.Write(Path.Combine(directory, PeftAdapterWeights.FileName), _layers);
        PeftAdapterConfig.Write(Path.Combine(directory, PeftAdapterConfig.FileName), Config, TargetPaths);
    }

    /// <summary>Moves the adapters to a device and, when given, a floating-point dtype (the base model moves with its own
    /// <see cref="Module.To"/>). Create optimizers after moving.</summary>
    /// <param name="device">The device.</param>
    /// <param name="dtype">The adapters' dtype, or null to keep it.</param>
    /// <returns>This LoRA model.</returns>
    /// <exception cref="TorchException">The device is not available.</exception>
    public LoraModel To(Device device, ScalarType? dtype = null)
    {
        ThrowIfDisposed();
        foreach (var layer in _layers) layer.To(device, dtype);
        return this;
    }

    /// <summary>Detaches the adapters and restores the base model: unmerged (within rounding) and with its parameters'
    /// requires_grad flags as before; the adapters are disposed.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Detach(unmerge: true);
    }

    private void Detach(bool unmerge)
    {
        _disposed = true;
        foreach (var layer in _layers)
        {
            if (unmerge) layer.Unmerge();
            if (ReferenceEquals(layer.BaseLayer.Adapter, layer)) layer.BaseLayer.Adapter = null;
            layer.Dispose();
        }

        foreach (var (p, requiresGrad) in _frozen)
        {
            if (!p.IsDisposed) p.RequiresGrad = requiresGrad;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Runs an action once on disposal.</summary>
    private sealed class Restore(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose()
        {
            _action?.Invoke();
            _action = null;
        }
    }
}
