// A small GPT (nanoGPT's architecture): token + learned position embeddings, pre-LN blocks, tied LM head; an ICausalLm.
using System.Text.Json;
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Models;

/// <summary>
/// A decoder-only transformer: <c>x = wte[idx] + wpe[pos]</c>, <see cref="GptConfig.Layers"/> pre-LayerNorm blocks
/// (causal multi-head self-attention and a GELU MLP of width 4C, each added to the residual stream), a final LayerNorm,
/// and an LM head tied to the token embedding (<c>logits = h wte^T</c>). Parameter names follow nanoGPT
/// (<c>transformer.wte.weight</c>, <c>transformer.h.0.attn.c_attn.weight</c>, ...), so weights saved with
/// <see cref="SaveWeights"/> open in PyTorch. Losses read its <see cref="ForwardHidden"/> and <see cref="HeadWeight"/>
/// (<c>Losses.WeightedSftLoss.ComputeFromHidden</c>); generation is <see cref="CausalLmGeneration"/>.
/// </summary>
public sealed class TinyGpt : Module, ICausalLm
{
    /// <summary>The metadata key holding the config JSON in weight files.</summary>
    public const string ConfigMetadataKey = "maskedsft.gpt_config";

    /// <summary>The weights file <see cref="Save"/> writes into a directory (and <see cref="Load"/> reads from one).</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>The value of <see cref="Architecture"/>.</summary>
    public const string ArchitectureName = "tiny-gpt";

    private readonly Embedding _wte;       // (V, C)
    private readonly Embedding _wpe;       // (block, C)
    private readonly GptBlock[] _blocks;
    private readonly LayerNorm _lnf;
    private Tensor? _causal;               // (block, block) bool, true above the diagonal, on the parameters' device
    private CheckpointedFunction[]? _checkpoints;

    /// <summary>Creates a model with nanoGPT's initialisation: N(0, 0.02) weights and embeddings, residual projections
    /// N(0, 0.02 / sqrt(2 layers)), zero biases, unit LayerNorm weights.</summary>
    /// <param name="config">The sizes.</param>
    /// <param name="seed">Seed of the initialisation (drawn on the CPU, so a seed gives the same weights on every device).</param>
    /// <param name="device">Where the parameters live (CPU when null).</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The configuration is inconsistent.</exception>
    public TinyGpt(GptConfig config, ulong seed = 1337, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        using var scratch = Generator.Create(seed ^ 0x5C2A7C4EUL);   // layers' own initial values, overwritten below
        var transformer = RegisterModule("transformer", new ModuleContainer());
        _wte = transformer.Add("wte", new Embedding(config.VocabSize, config.EmbeddingSize, generator: scratch));
        _wpe = transformer.Add("wpe", new Embedding(config.BlockSize, config.EmbeddingSize, generator: scratch));
        var h = transformer.Add("h", new ModuleContainer());
        _blocks = new GptBlock[config.Layers];
        for (var i = 0; i < config.Layers; i++)
        {
            _blocks[i] = h.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new GptBlock(config, scratch));
        }

        _lnf = transformer.Add("ln_f", new LayerNorm(config.EmbeddingSize, bias: config.Bias));
        Initialize(seed);
        if (device is { } d && !d.IsCpu) To(d);
    }

    /// <summary>The sizes.</summary>
    public GptConfig Config { get; }

    /// <summary>Recompute each block in the backward pass instead of keeping its activations (less memory, about a third
    /// more compute); applies while gradients are recorded and dropout is off (a recomputed dropout would differ).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <inheritdoc />
    public string Architecture => ArchitectureName;

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int HiddenSize => Config.EmbeddingSize;

    /// <inheritdoc />
    public int MaxSequenceLength => Config.BlockSize;

    /// <summary>The device of the parameters.</summary>
    public Device Device => _wte.Weight.Device;

    /// <inheritdoc />
    public ScalarType DType => _wte.Weight.DType;

    /// <summary>(V, C) the token embedding, tied to the LM head.</summary>
    public Tensor HeadWeight => _wte.Weight;

    /// <summary>Number of scalar parameters (the tied head counted once).</summary>
    public long ParameterCount => Parameters().Sum(p => p.NumberOfElements);

    /// <inheritdoc />
    IEnumerable<Parameter> ILogitsModel.TrainableParameters() => Parameters();

    /// <summary>Logits of every position.</summary>
    /// <param name="idx">(B, T) int64 token ids, T &lt;= block size.</param>
    /// <returns>(B, T, V) logits; position t predicts token t + 1.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="idx"/> is null.</exception>
    /// <exception cref="ArgumentException">The input is not (B, T) or T exceeds the block size.</exception>
    public Tensor Forward(Tensor idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        using var scope = new DisposeScope();
        var hidden = ForwardHidden(new CausalLmInput(idx));                                  // (B, T, C)
        return TorchOps.Linear(hidden, _wte.Weight).MoveToOuterScope();                     // (B, T, V)
    }

    /// <summary>
    /// The final hidden states (after ln_f). Token i attends to token j when j &lt;= i, both are real tokens
    /// (<see cref="CausalLmInput.AttentionMask"/>) and both belong to the same document (<see cref="CausalLmInput.DocumentIds"/>);
    /// its learned position is <see cref="CausalLmInput.PositionIds"/>[i]. So a packed row (positions restarting at every
    /// document) gives each document the hidden states it has alone, and a left-padded row (positions starting at 0 on the
    /// first real token) those of the unpadded row. A padding position attends only to itself: its hidden state is finite
    /// and meaningless (its target is the ignore index).
    /// </summary>
    /// <param name="input">Token ids and, for padded or packed rows, positions, attention mask and document ids.</param>
    /// <returns>(B, T, C) hidden states on <see cref="Device"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">A tensor is not (B, T), T exceeds the block size, or a position is outside [0, block size).</exception>
    public Tensor ForwardHidden(CausalLmInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var idx = input.InputIds;
        if (idx.Dim != 2)
            throw new ArgumentException($"TinyGpt expects (B, T) token ids; got [{string.Join(", ", idx.Shape)}].", nameof(input));
        var t = idx.Size(1);
        if (t > Config.BlockSize)
            throw new ArgumentException($"Sequence length {t} exceeds the block size {Config.BlockSize}. Hint: crop the input or raise GptConfig.BlockSize.", nameof(input));
        foreach (var (name, tensor) in new[] { ("PositionIds", input.PositionIds), ("AttentionMask", input.AttentionMask), ("DocumentIds", input.DocumentIds) })
        {
            if (tensor is not null && !tensor.Shape.AsSpan().SequenceEqual(idx.Shape))
                throw new ArgumentException($"CausalLmInput.{name} has shape [{string.Join(", ", tensor.Shape)}]; the token ids are [{string.Join(", ", idx.Shape)}].", nameof(input));
        }

        var device = Device;
        var tokens = idx.DType == ScalarType.Int64 && idx.Device == device ? idx : idx.To(device, ScalarType.Int64);
        var positions = input.PositionIds is null ? TorchOps.Arange(t, device) : Positions(input.PositionIds); // (T) or (B, T)
        Tensor x;
        using (var te = _wte.Forward(tokens))                                                // (B, T, C)
        using (var pe = _wpe.Forward(positions))                                             // (T, C) or (B, T, C)
        {
            x = te.Add(pe);                                                                  // (B, T, C)
        }

        positions.Dispose();                                                                 // a handle made here (Arange or To)
        if (!ReferenceEquals(tokens, idx)) tokens.Dispose();

        if (IsTraining && Config.Dropout > 0)
        {
            using var before = x;
            x = TorchOps.Dropout(before, Config.Dropout, true);
        }

        using var allowed = input.AttentionMask is null && input.DocumentIds is null
            ? null                                                                           // plain causal: the kernel's own mask
            : AttentionLimits(input, t);                                                     // (B, 1, T, T) true = may attend
        var checkpoint = GradientCheckpointing && NoGradScope.IsGradEnabled && !(IsTraining && Config.Dropout > 0);
        for (var i = 0; i < _blocks.Length; i++)
        {
            using var before = x;                                                            // consumed by the block
            x = checkpoint
                ? (allowed is null ? Checkpoints()[i].Apply(before) : Checkpoints()[i].Apply(before, allowed))
                : _blocks[i].Forward(before, allowed);
        }

        using (x)
        {
            return _lnf.Forward(x);                                                          // (B, T, C)
        }
    }

    /// <summary>Saves the model into a directory as <see cref="WeightsFileName"/> (see <see cref="SaveWeights"/>); atomic.</summary>
    /// <param name="directory">The directory (created when missing).</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        SaveWeights(Path.Combine(directory, WeightsFileName));
    }

    /// <summary>Writes the weights as safetensors (float32, nanoGPT names) with the config as JSON metadata
    /// (<c>maskedsft.gpt_config</c>); atomic.</summary>
    /// <param name="path">The file to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void SaveWeights(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ConfigMetadataKey] = JsonSerializer.Serialize(Config),
        };
        SafetensorsTensorIO.Save(path, NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter)), metadata);
    }

    /// <summary>Loads weights saved by <see cref="SaveWeights"/> (or any safetensors file with the same names and shapes).</summary>
    /// <param name="path">The safetensors file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="SafetensorsTensorException">A parameter is missing or has another shape or dtype.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public void LoadWeights(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        CausalLmWeights.LoadInto(this, path);
    }

    /// <summary>Creates a model from a weights file written by <see cref="SaveWeights"/> (its config is in the metadata), or
    /// from a directory written by <see cref="Save"/> (a checkpoint folder too).</summary>
    /// <param name="path">The safetensors file, or a directory holding <see cref="WeightsFileName"/>.</param>
    /// <param name="device">Where to place the model (CPU when null).</param>
    /// <returns>The model, in training mode.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file has no config metadata.</exception>
    /// <exception cref="SafetensorsTensorException">A parameter is missing or does not match.</exception>
    public static TinyGpt Load(string path, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) path = Path.Combine(path, WeightsFileName);
        var model = new TinyGpt(ReadConfig(path), device: device);
        try
        {
            model.LoadWeights(path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads the configuration stored in a weights file written by <see cref="SaveWeights"/>.</summary>
    /// <param name="path">The safetensors file, or a directory holding <see cref="WeightsFileName"/>.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file has no config metadata.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public static GptConfig ReadConfig(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) path = Path.Combine(path, WeightsFileName);
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(ConfigMetadataKey, out var json))
            throw new InvalidDataException($"{path}: no '{ConfigMetadataKey}' metadata. Hint: create the TinyGpt with its config and call LoadWeights.");
        return JsonSerializer.Deserialize<GptConfig>(json)
            ?? throw new InvalidDataException($"{path}: '{ConfigMetadataKey}' metadata is not a GPT config.");
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _causal?.Dispose();
            _causal = null;
            if (_checkpoints is not null)
            {
                foreach (var f in _checkpoints) f.Dispose();
                _checkpoints = null;
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>nanoGPT's initialisation, in parameter order, from a CPU generator.</summary>
    private void Initialize(ulong seed)
    {
        using var generator = Generator.Create(seed);
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        foreach (var (name, p) in NamedParameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.Zero();
            else if (name.Contains(".ln_", StringComparison.Ordinal)) p.Fill(1.0);
            else p.CopyFrom(TorchOps.Randn(p.Shape, generator).Mul(name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : 0.02));
        }
    }

    /// <summary>One checkpointed function per block (made on first use); the extra input, when given, is the attention mask.</summary>
    private CheckpointedFunction[] Checkpoints()
    {
        if (_checkpoints is not null) return _checkpoints;
        var functions = new CheckpointedFunction[_blocks.Length];
        for (var i = 0; i < functions.Length; i++)
        {
            var block = _blocks[i];
            functions[i] = new CheckpointedFunction((x, extras) => block.Forward(x, extras.Count > 0 ? extras[0] : null));
        }

        return _checkpoints = functions;
    }

    /// <summary>The causal mask for T positions on the parameters' device (cached per device).</summary>
    private Tensor Causal(long t)
    {
        var device = Device;
        if (_causal is null || _causal.Device != device)
        {
            _causal?.Dispose();
            using var scope = new DisposeScope();
            _causal = TorchOps.Ones([Config.BlockSize, Config.BlockSize], ScalarType.Bool, device).Triu(1).DetachFromDisposeScope();
        }

        return _causal.Narrow(0, 0, t).Narrow(1, 0, t);
    }

    /// <summary>Position ids on the parameters' device, checked against the block size (one read-back of their range).</summary>
    private Tensor Positions(Tensor positionIds)
    {
        var positions = positionIds.To(Device, ScalarType.Int64);                            // (B, T)
        if (positions.NumberOfElements > 0)
        {
            using var scope = new DisposeScope();
            var range = TorchOps.Stack([positions.Min(), positions.Max()], 0).ToArray<long>(); // one host read
            long low = range[0], high = range[1];
            if (low < 0 || high >= Config.BlockSize)
                throw new ArgumentException($"CausalLmInput.PositionIds holds positions in [{low}, {high}]; TinyGpt has {Config.BlockSize} learned positions [0, {Config.BlockSize}).", "input");
        }

        return positions;
    }

    /// <summary>(B, 1, T, T) bool, true where query i may attend key j: an earlier (or the same) key of the same document
    /// that is a real token; every position may attend to itself (so a padding query has one key, not none: no NaN).</summary>
    private Tensor AttentionLimits(CausalLmInput input, long t)
    {
        using var scope = new DisposeScope();
        return Blocked(input, t).LogicalNot().MoveToOuterScope();                             // (B, 1, T, T)
    }

    /// <summary>(B, 1, T, T) bool, true where query i may NOT attend key j: a later key, a key of another document or a
    /// padding key, except that every position may attend to itself.</summary>
    private Tensor Blocked(CausalLmInput input, long t)
    {
        var device = Device;
        var blocked = Causal(t);                                                             // (T, T)
        if (input.DocumentIds is { } documents)
        {
            var doc = documents.To(device, ScalarType.Int64);                                // (B, T)
            blocked = blocked.LogicalOr(doc.Unsqueeze(2).Ne(doc.Unsqueeze(1)));              // (B, T, T)
        }

        if (input.AttentionMask is { } attention)
        {
            var padKey = attention.To(device).Eq(0L).Unsqueeze(1);                           // (B, 1, T)
            var self = TorchOps.Eye(t, dtype: ScalarType.Bool, device: device);              // (T, T)
            blocked = blocked.LogicalOr(padKey.LogicalAnd(self.LogicalNot()));               // (B, T, T)
        }

        return blocked.Unsqueeze(-3);                                                        // (B, 1, T, T)
    }
}
