// A pretrained decoder-only LM (Llama, Qwen2/2.5, Qwen3) with Hugging Face parameter names: embedding, RMSNorm decoder
// layers with rotary GQA attention and SwiGLU MLPs, final norm, tied or separate head; padded, packed and cached passes.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// The model of <c>LlamaForCausalLM</c>, <c>Qwen2ForCausalLM</c> and <c>Qwen3ForCausalLM</c>. Parameter names are the
/// Hugging Face ones (<c>model.embed_tokens.weight</c>, <c>model.layers.0.self_attn.q_proj.weight</c>, ...,
/// <c>model.norm.weight</c>, <c>lm_head.weight</c> unless tied), so checkpoints load by name. Load a folder with
/// <see cref="Load"/>, or create random weights with <see cref="Create"/>.
/// </summary>
public sealed class PretrainedCausalLm : Module, IKvCacheCausalLm
{
    private readonly Embedding _embed;             // (V, C)
    private readonly DecoderLayer[] _layers;
    private readonly RMSNorm _norm;
    private readonly Linear? _head;        // (V, C), null when tied
    private readonly RotaryEmbedding _rotary;
    private CheckpointedFunction[]? _checkpoints;

    /// <summary>Creates the modules with uninitialised parameters (a loader or <see cref="InitializeWeights"/> fills them).</summary>
    internal PretrainedCausalLm(PretrainedLmConfig config, PretrainedModelOptions options)
    {
        config.Validate();
        Config = config;
        GenerationConfig = GenerationConfig.FromModelConfig(config);
        var dtype = options.ResolvedDType;
        var device = options.Device;
        var model = RegisterModule("model", new ModuleContainer());
        _embed = model.Add("embed_tokens", new Embedding(config.VocabSize, config.HiddenSize, dtype: dtype, device: device));
        var layers = model.Add("layers", new ModuleContainer());
        _layers = new DecoderLayer[config.NumHiddenLayers];
        for (var i = 0; i < _layers.Length; i++)
        {
            _layers[i] = layers.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new DecoderLayer(config, dtype, device));
        }

        _norm = model.Add("norm", new RMSNorm(config.HiddenSize, config.RmsNormEps, dtype, device));
        if (!config.TieWordEmbeddings) _head = RegisterModule("lm_head", Linear.Uninitialized(config.HiddenSize, config.VocabSize, false, dtype, device));
        _rotary = new RotaryEmbedding(config.Rope, config.HeadDim);
    }

    /// <summary>The config.</summary>
    public PretrainedLmConfig Config { get; }

    /// <summary>The generation defaults (from generation_config.json when loaded; else from the config's token ids).</summary>
    public GenerationConfig GenerationConfig { get; set; }

    /// <summary>Tensors of the loaded checkpoint that no parameter uses (empty for a clean checkpoint).</summary>
    public IReadOnlyList<string> UnusedCheckpointTensors { get; internal set; } = [];

    /// <summary>Recompute each decoder layer in backward instead of keeping its activations (less memory, about one more
    /// forward pass of compute). Gradients are the same. Applies to training passes without a KV cache.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <inheritdoc />
    public string Architecture => Config.Architecture.ClassName();

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    public int MaxSequenceLength => Config.MaxPositionEmbeddings;

    /// <inheritdoc />
    public Device Device => _embed.Weight.Device;

    /// <inheritdoc />
    public ScalarType DType => _embed.Weight.DType;

    /// <inheritdoc />
    public Tensor HeadWeight => _head?.Weight ?? _embed.Weight;

    /// <summary>Creates a model with random weights as transformers initialises them (normal(0, initializer_range)
    /// weights and embeddings, zero biases, unit norms).</summary>
    /// <param name="config">The config.</param>
    /// <param name="seed">Seed of the initialisation (drawn on the CPU: the same weights on every device).</param>
    /// <param name="options">Device and dtype (CPU float32 when null).</param>
    /// <returns>The model, in training mode.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ModelConfigException">The config is inconsistent.</exception>
    public static PretrainedCausalLm Create(PretrainedLmConfig config, ulong seed = 1234, PretrainedModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var model = new PretrainedCausalLm(config, options ?? new PretrainedModelOptions());
        try
        {
            model.InitializeWeights(seed);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads a Hugging Face model folder (config.json, generation_config.json, model.safetensors or a sharded
    /// index); see <see cref="PretrainedModelLoader.Load"/>.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="options">Device, compute dtype and checks (CPU float32 when null).</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    /// <exception cref="ModelConfigException">The config is invalid or unsupported.</exception>
    /// <exception cref="Torch.Safetensors.SafetensorsTensorException">A tensor is missing, mis-shaped, or (when rejected) unexpected.</exception>
    public static PretrainedCausalLm Load(string directory, PretrainedModelOptions? options = null) => PretrainedModelLoader.Load(directory, options);

    /// <inheritdoc />
    public IEnumerable<Parameter> TrainableParameters() => Parameters().Where(p => p.RequiresGrad);

    /// <summary>Logits of every position (the LM head over <see cref="ForwardHidden(CausalLmInput)"/>).</summary>
    /// <param name="inputs">(B, T) int64 token ids.</param>
    /// <returns>(B, T, V) logits in <see cref="DType"/>; position t predicts token t + 1.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is null.</exception>
    /// <exception cref="ArgumentException">The input is not (B, T) or is too long.</exception>
    public Tensor Forward(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = new DisposeScope();
        return TorchOps.Linear(ForwardHidden(new CausalLmInput(inputs)), HeadWeight).MoveToOuterScope();  // (B, T, V)
    }

    /// <inheritdoc />
    public Tensor ForwardHidden(CausalLmInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = new DisposeScope();
        return Hidden(input, null).MoveToOuterScope();
    }

    /// <inheritdoc />
    public Tensor ForwardHidden(CausalLmInput input, KvCache cache)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(cache);
        if (input.DocumentIds is not null)
            throw new ArgumentException("a KV-cache pass takes no DocumentIds (packed rows are for training passes).", nameof(input));
        if (cache.Layers != _layers.Length || cache.Device != Device || cache.DType != DType)
        {
            throw new ArgumentException($"the KV cache ({cache.Layers} layers, {cache.DType} on {cache.Device}) was not made for this model " +
                $"({_layers.Length} layers, {DType} on {Device}). Hint: create it with CreateKvCache after moving the model.", nameof(cache));
        }

        using var noGrad = new NoGradScope();
        using var scope = new DisposeScope();
        return Hidden(input, cache).MoveToOuterScope();
    }

    /// <inheritdoc />
    public KvCache CreateKvCache(int batchSize, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxSequenceLength);
        return new KvCache(_layers.Length, batchSize, Config.NumKeyValueHeads, Config.HeadDim, capacity, DType, Device);
    }

    /// <summary>Saves the model as a Hugging Face folder: config.json, generation_config.json and the weights in the compute
    /// dtype (model.safetensors, or shards with model.safetensors.index.json); see <see cref="PretrainedModelWriter.Save"/>.</summary>
    /// <param name="directory">The folder (created when missing).</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Save(string directory) => PretrainedModelWriter.Save(this, directory);

    /// <summary>Reads back the weights <see cref="Save"/> wrote (model.safetensors or shards with their index) into this
    /// model, as the trainer's checkpoints need, each converted to its parameter's dtype: a checkpoint of a bfloat16 run
    /// (pure bf16 or autocast over a bf16 model) resumes into the float32 masters of <c>BFloat16Masters</c> (the CUDA
    /// default) by widening, exactly; a float32 one into a bfloat16 model by rounding.</summary>
    /// <param name="directory">The folder.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="Torch.Safetensors.SafetensorsTensorException">A parameter is missing or has another shape.</exception>
    public void LoadSavedWeights(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        using var weights = Torch.Safetensors.SafetensorsWeights.Open(directory);
        foreach (var (name, parameter) in NamedParameters()) weights.ReadInto(name, parameter, convertDType: true);
    }

    /// <summary>Fills the parameters as transformers initialises them: normal(0, initializer_range) for weights and
    /// embeddings, zeros for biases, ones for norms; drawn on the CPU in float32 from <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    public void InitializeWeights(ulong seed)
    {
        using var generator = Generator.Create(seed);
        using var noGrad = new NoGradScope();
        foreach (var (name, p) in NamedParameters())
        {
            using var scope = new DisposeScope();
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.Zero();
            else if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.Fill(1.0);
            else p.CopyFrom(TorchOps.Randn(p.Shape, generator).Mul(Config.InitializerRange));
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rotary.Dispose();
            if (_checkpoints is not null)
            {
                foreach (var c in _checkpoints) c.Dispose();
                _checkpoints = null;
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>The final hidden states (B, T, C); tensors join the caller's scope.</summary>
    private Tensor Hidden(CausalLmInput input, KvCache? cache)
    {
        var ids = input.InputIds;
        if (ids.Dim != 2 || ids.Size(1) < 1)
            throw new ArgumentException($"{Architecture} expects (B, T) token ids with T >= 1; got [{string.Join(", ", ids.Shape)}].", nameof(input));
        long b = ids.Size(0), t = ids.Size(1);
        var past = cache?.Length ?? 0;
        if (past + t > MaxSequenceLength)
        {
            throw new ArgumentException($"sequence length {past + t} exceeds max_position_embeddings {MaxSequenceLength} of {Architecture}. " +
                "Hint: crop the input.", nameof(input));
        }

        CheckShape(input.PositionIds, "PositionIds", b, t);
        CheckShape(input.AttentionMask, "AttentionMask", b, t);
        CheckShape(input.DocumentIds, "DocumentIds", b, t);
        var device = Device;
        var tokens = ids.DType == ScalarType.Int64 && ids.Device == device ? ids : ids.To(device, ScalarType.Int64);
        Tensor? cachedValid = null;
        if (cache is not null) (cachedValid, _) = cache.Begin((int)t, (int)b);
        var positions = input.PositionIds?.To(device, ScalarType.Int64)
            ?? cache?.PendingPositions(input.AttentionMask, (int)t)
            ?? TorchOps.Arange(t, device).Unsqueeze(0).Expand(b, t);                                   // (B, T)
        var (cos, sin) = _rotary.CosSin(positions, DType);                                              // (B, T, D)
        var (mask, isCausal) = AttentionMasks.Build(b, t, past, input.AttentionMask, input.DocumentIds, cachedValid, device);
        var x = _embed.Forward(tokens);                                                                 // (B, T, C)
        var checkpoint = GradientCheckpointing && cache is null && NoGradScope.IsGradEnabled;
        for (var i = 0; i < _layers.Length; i++)
        {
            x = checkpoint
                ? Checkpoints()[i].Apply(x, cos, sin, mask)
                : _layers[i].Forward(x, cos, sin, mask, isCausal, cache is null ? null : (cache, i));
        }

        cache?.Commit(input.AttentionMask);
        return _norm.Forward(x);                                                                        // (B, T, C)
    }

    /// <summary>One checkpointed function per layer (made on first use): extras are cos, sin and the mask, null when
    /// attention is plainly causal (without a cache, the only case checkpointed, no mask means causal).</summary>
    private CheckpointedFunction[] Checkpoints()
    {
        if (_checkpoints is not null) return _checkpoints;
        var functions = new CheckpointedFunction[_layers.Length];
        for (var i = 0; i < functions.Length; i++)
        {
            var layer = _layers[i];
            functions[i] = new CheckpointedFunction((x, extras) =>
            {
                var mask = extras[2];
                return layer.Forward(x, extras[0]!, extras[1]!, mask, mask is null, null);
            });
        }

        return _checkpoints = functions;
    }

    private void CheckShape(Tensor? tensor, string name, long b, long t)
    {
        if (tensor is not null && (tensor.Dim != 2 || tensor.Size(0) != b || tensor.Size(1) != t))
        {
            throw new ArgumentException($"{Architecture}: {name} must be (B, T) = [{b}, {t}] like InputIds; got [{string.Join(", ", tensor.Shape)}].", nameof(tensor));
        }
    }
}
