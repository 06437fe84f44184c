// A small GPT (nanoGPT's architecture): token + learned position embeddings, pre-LN blocks, tied LM head, generation.
using System.Text.Json;
using MaskedSft.MLNet.Losses;
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Models;

/// <summary>
/// A decoder-only transformer: <c>x = wte[idx] + wpe[pos]</c>, <see cref="GptConfig.Layers"/> pre-LayerNorm blocks
/// (causal multi-head self-attention and a GELU MLP of width 4C, each added to the residual stream), a final LayerNorm,
/// and an LM head tied to the token embedding (<c>logits = h wte^T</c>). Parameter names follow nanoGPT
/// (<c>transformer.wte.weight</c>, <c>transformer.h.0.attn.c_attn.weight</c>, ...), so weights saved with
/// <see cref="SaveWeights"/> open in PyTorch.
/// </summary>
public sealed class TinyGpt : Module, ILogitsModel
{
    /// <summary>The metadata key holding the config JSON in weight files.</summary>
    public const string ConfigMetadataKey = "maskedsft.gpt_config";

    private readonly Embedding _wte;       // (V, C)
    private readonly Embedding _wpe;       // (block, C)
    private readonly GptBlock[] _blocks;
    private readonly GptLayerNorm _lnf;
    private readonly WeightedSftLoss _defaultLoss = new();
    private Tensor? _causal;               // (block, block) bool, true above the diagonal, on the parameters' device

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

        _lnf = transformer.Add("ln_f", new GptLayerNorm(config.EmbeddingSize, config.Bias));
        Initialize(seed);
        if (device is { } d && !d.IsCpu) To(d);
    }

    /// <summary>The sizes.</summary>
    public GptConfig Config { get; }

    /// <summary>The device of the parameters.</summary>
    public Device Device => _wte.Weight.Device;

    /// <inheritdoc />
    int ILogitsModel.VocabSize => Config.VocabSize;

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
        var hidden = Hidden(idx);                                        // (B, T, C)
        return TorchOps.Linear(hidden, _wte.Weight).MoveToOuterScope();         // (B, T, V)
    }

    /// <summary>The masked loss of the seed: <c>sum(CE * mask) / sum(mask)</c> over aligned targets.</summary>
    /// <param name="idx">(B, T) inputs (the loader's X).</param>
    /// <param name="targets">(B, T) targets (the loader's Y, shifted by one; -100 = ignore).</param>
    /// <param name="lossMask">(B, T) loss mask aligned with the targets (non-zero = train).</param>
    /// <returns>The scalar loss; exactly 0 with zero gradients when nothing is supervised.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public Tensor Forward(Tensor idx, Tensor targets, Tensor lossMask)
    {
        using var output = ForwardLoss(idx, targets, lossMask);
        return output.Loss.Alias();
    }

    /// <summary>
    /// Masked, optionally advantage-weighted loss that projects only the supervised positions onto the vocabulary (the
    /// other positions get no loss and no gradient either way, so the result equals computing full logits first, at a
    /// fraction of the LM head's cost).
    /// </summary>
    /// <param name="idx">(B, T) inputs.</param>
    /// <param name="targets">(B, T) aligned targets.</param>
    /// <param name="lossMask">(B, T) loss mask aligned with the targets.</param>
    /// <param name="advantages">(B, T) aligned advantages, (B,) per sequence, or null.</param>
    /// <param name="loss">The loss settings (reduction, aggregation, normalisation, temperature, ignore index); null = token-mean.</param>
    /// <param name="normalizer">Global denominators for gradient accumulation, or null.</param>
    /// <returns>The loss and the per-token details.</returns>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public MaskedLmOutput ForwardLoss(Tensor idx, Tensor targets, Tensor lossMask, Tensor? advantages = null, WeightedSftLoss? loss = null, LossNormalizer? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(idx);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(lossMask);
        var shape = idx.Shape;
        if (!targets.Shape.AsSpan().SequenceEqual(shape) || !lossMask.Shape.AsSpan().SequenceEqual(shape))
        {
            throw new ArgumentException(
                $"TinyGpt.ForwardLoss expects inputs, targets and loss mask of one (B, T) shape; got [{string.Join(", ", shape)}], " +
                $"[{string.Join(", ", targets.Shape)}] and [{string.Join(", ", lossMask.Shape)}]. Hint: pass the loader's X, Y and mask.",
                nameof(targets));
        }

        loss ??= _defaultLoss;
        using var scope = new DisposeScope();
        long b = shape[0], t = shape[1], c = Config.EmbeddingSize;
        var hidden = Hidden(idx).Reshape(b * t, c);                                            // (BT, C)
        var flatTargets = targets.Reshape(-1).To(Device, ScalarType.Int64);                   // (BT)
        var keep = lossMask.Reshape(-1).To(Device).Ne(0L).LogicalAnd(flatTargets.Ne(loss.Options.IgnoreIndex)); // (BT)
        var index = keep.Nonzero().Reshape(-1);                                                // (N)
        var logits = TorchOps.Linear(hidden.IndexSelect(0, index), _wte.Weight);                     // (N, V)
        var selectedTargets = flatTargets.IndexSelect(0, index);                              // (N)
        var scaled = loss.Options.Temperature == 1.0 ? logits : logits.Div(loss.Options.Temperature);
        var nll = TorchOps.CrossEntropy(scaled, selectedTargets, Reduction.None);             // (N)
        var tokenNll = TorchOps.Zeros([b * t], nll.DType, Device).Scatter(0, index, nll).Reshape(b, t); // (B, T)
        var eff = keep.To(nll.DType).Reshape(b, t);
        var result = loss.FromTokenLosses(tokenNll, eff, advantages?.To(Device), normalizer);
        result.Advantages.Dispose();
        return new MaskedLmOutput(
            result.Loss.MoveToOuterScope(),
            result.PerTokenLoss.MoveToOuterScope(),
            tokenNll.Detach().MoveToOuterScope(),
            result.EffectiveMask.MoveToOuterScope(),
            logits.MoveToOuterScope(),
            selectedTargets.MoveToOuterScope());
    }

    /// <summary>Continues each row of a prompt, greedily or by sampling; the model is in evaluation mode meanwhile.</summary>
    /// <param name="prompt">(B, T0) int64 token ids, T0 &gt;= 1 (the context is cropped to the block size while generating).</param>
    /// <param name="options">Length, temperature (0 = greedy), top-k, seed and stop token.</param>
    /// <returns>(B, T0 + n) the prompt followed by the new tokens; rows that stopped are padded with the stop token.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">MaxNewTokens is negative, Temperature is negative, or TopK is not positive.</exception>
    /// <exception cref="ArgumentException">The prompt is not (B, T0) with T0 &gt;= 1.</exception>
    public Tensor Generate(Tensor prompt, GenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxNewTokens);
        if (!(options.Temperature >= 0) || double.IsInfinity(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "Temperature must be finite and >= 0 (0 = greedy).");
        if (options.TopK is <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be positive.");
        if (prompt.Dim != 2 || prompt.Size(1) < 1)
            throw new ArgumentException($"Generate expects a (B, T0) prompt with T0 >= 1; got [{string.Join(", ", prompt.Shape)}].", nameof(prompt));
        var wasTraining = IsTraining;
        Eval();
        using var noGrad = new NoGradScope();
        using var generator = Generator.Create(options.Seed, Device);
        Tensor sequence;                                                                   // (B, T0 + step)
        using (new DisposeScope())
        {
            sequence = prompt.To(Device, ScalarType.Int64).Clone().DetachFromDisposeScope();
        }

        Tensor? finished = null;
        try
        {
            for (var step = 0; step < options.MaxNewTokens; step++)
            {
                using var scope = new DisposeScope();
                var length = sequence.Size(1);
                var context = sequence.Slice(1, Math.Max(0, length - Config.BlockSize), length);
                var hidden = Hidden(context);                                                  // (B, Tc, C)
                var last = hidden.Select(1, hidden.Size(1) - 1);                                // (B, C)
                var logits = TorchOps.Linear(last, _wte.Weight);                                      // (B, V)
                Tensor next;                                                                   // (B, 1)
                if (options.Temperature == 0)
                {
                    next = logits.Argmax(-1, keepDim: true);
                }
                else
                {
                    logits = logits.Div(options.Temperature);
                    if (options.TopK is { } k && k < Config.VocabSize)
                    {
                        var kth = logits.TopK(k).Values.Narrow(-1, k - 1, 1);                 // (B, 1)
                        logits = logits.MaskedFill(logits.Lt(kth), double.NegativeInfinity);
                    }

                    next = TorchOps.Multinomial(logits.Softmax(-1), 1, generator: generator);
                }

                if (options.StopToken is { } stop)
                {
                    if (finished is not null) next = TorchOps.Where(finished, TorchOps.FullLike(next, stop), next);
                    var nowFinished = next.Eq((long)stop);
                    var merged = finished is null ? nowFinished : finished.LogicalOr(nowFinished);
                    finished?.Dispose();
                    finished = merged.DetachFromDisposeScope();
                }

                var grown = TorchOps.Cat([sequence, next], 1).DetachFromDisposeScope();
                sequence.Dispose();
                sequence = grown;
                if (finished is not null && finished.All().Item<bool>()) break;
            }

            return sequence.AttachToCurrentScope();
        }
        catch
        {
            sequence.Dispose();
            throw;
        }
        finally
        {
            finished?.Dispose();
            Train(wasTraining);
        }
    }

    /// <summary>Greedy or sampled continuation of one prompt given as ids.</summary>
    /// <param name="prompt">Token ids (at least one).</param>
    /// <param name="options">Generation options.</param>
    /// <returns>Only the new tokens.</returns>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    public int[] Generate(ReadOnlySpan<int> prompt, GenerationOptions? options = null)
    {
        if (prompt.IsEmpty) throw new ArgumentException("Generate needs at least one prompt token.", nameof(prompt));
        using var scope = new DisposeScope();
        var ids = new long[prompt.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = prompt[i];
        var output = Generate(Tensor.FromArray(ids, 1, ids.Length), options);
        return output.Slice(1, ids.Length, output.Size(1)).Reshape(-1).ToArray<long>().Select(v => (int)v).ToArray();
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
        using var file = SafetensorsFile.Open(path);
        foreach (var (name, p) in NamedParameters()) file.ReadInto(name, p);
    }

    /// <summary>Creates a model from a weights file written by <see cref="SaveWeights"/> (its config is in the metadata).</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="device">Where to place the model (CPU when null).</param>
    /// <returns>The model, in training mode.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file has no config metadata.</exception>
    /// <exception cref="SafetensorsTensorException">A parameter is missing or does not match.</exception>
    public static TinyGpt Load(string path, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        GptConfig config;
        using (var file = SafetensorsFile.Open(path))
        {
            if (!file.Metadata.TryGetValue(ConfigMetadataKey, out var json))
                throw new InvalidDataException($"{path}: no '{ConfigMetadataKey}' metadata. Hint: create the TinyGpt with its config and call LoadWeights.");
            config = JsonSerializer.Deserialize<GptConfig>(json)
                ?? throw new InvalidDataException($"{path}: '{ConfigMetadataKey}' metadata is not a GPT config.");
        }

        var model = new TinyGpt(config, device: device);
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

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _causal?.Dispose();
            _causal = null;
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

    /// <summary>The final hidden states (after ln_f), (B, T, C).</summary>
    internal Tensor Hidden(Tensor idx)
    {
        if (idx.Dim != 2)
            throw new ArgumentException($"TinyGpt expects (B, T) token ids; got [{string.Join(", ", idx.Shape)}].", nameof(idx));
        var t = idx.Size(1);
        if (t > Config.BlockSize)
            throw new ArgumentException($"Sequence length {t} exceeds the block size {Config.BlockSize}. Hint: crop the input or raise GptConfig.BlockSize.", nameof(idx));
        var device = Device;
        var tokens = idx.DType == ScalarType.Int64 && idx.Device == device ? idx : idx.To(device, ScalarType.Int64);
        var positions = TorchOps.Arange(t, device);                                          // (T)
        var x = _wte.Forward(tokens).Add(_wpe.Forward(positions));                           // (B, T, C)
        if (IsTraining && Config.Dropout > 0) x = TorchOps.Dropout(x, Config.Dropout, true);
        var causal = Causal(t);                                                              // (T, T)
        foreach (var block in _blocks) x = block.Forward(x, causal);
        return _lnf.Forward(x);                                                              // (B, T, C)
    }
}
