// Generation with a KV cache: left-padded batched prompts, greedy or sampled decoding, several eos ids, per-token log-probs.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Continues prompts with a model that decodes through a <see cref="KvCache"/>: the left-padded prompts run once, then one
/// token per row per step, until every row produced an eos token or <see cref="DecodingOptions.MaxNewTokens"/> is reached.
/// The model is put in evaluation mode meanwhile; no gradients are recorded. A row's tokens do not depend on the other
/// rows (padding is masked and positions count only real tokens), so batched results equal one-by-one results.
/// </summary>
public static class CausalLmGenerator
{
    /// <summary>Continues each prompt.</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompts">Token ids per prompt (each non-empty).</param>
    /// <param name="options">Decoding settings (greedy, 32 tokens, the model's eos ids when null).</param>
    /// <returns>One result per prompt.</returns>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">There is no prompt, a prompt is empty, or a prompt plus MaxNewTokens is too long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static GeneratedSequence[] Generate(IKvCacheCausalLm model, IReadOnlyList<IReadOnlyList<int>> prompts, DecodingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        options ??= new DecodingOptions();
        using var scope = new DisposeScope();
        var (ids, mask) = PaddedBatch.Build(prompts, PadId(model, options), leftPadding: true);
        using var batch = Generate(model, ids, prompts.Any(p => p.Count != ids.Size(1)) ? mask : null, options);
        return batch.ToSequences(EosIds(model, options));
    }

    /// <summary>Continues a batch of left-padded prompts given as tensors.</summary>
    /// <param name="model">The model.</param>
    /// <param name="promptIds">(B, T0) int64 prompt ids, left-padded.</param>
    /// <param name="promptMask">(B, T0) 1 = real token, 0 = padding (left only: every row's last slot is real); null = none.</param>
    /// <param name="options">Decoding settings.</param>
    /// <returns>The new tokens, their validity and log-probs (owned by the caller).</returns>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">The shapes are wrong or T0 + MaxNewTokens exceeds the model's length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static GeneratedBatch Generate(IKvCacheCausalLm model, Tensor promptIds, Tensor? promptMask, DecodingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(promptIds);
        options ??= new DecodingOptions();
        options.Validate();
        if (promptIds.Dim != 2 || promptIds.Size(1) < 1)
            throw new ArgumentException($"prompts must be (B, T0) token ids with T0 >= 1; got [{string.Join(", ", promptIds.Shape)}].", nameof(promptIds));
        int b = (int)promptIds.Size(0), t0 = (int)promptIds.Size(1), maxNew = options.MaxNewTokens;
        if (t0 + maxNew > model.MaxSequenceLength)
        {
            throw new ArgumentException($"a prompt of {t0} tokens plus {maxNew} new ones exceeds the model's {model.MaxSequenceLength} positions. " +
                "Hint: shorten the prompts or lower MaxNewTokens.", nameof(promptIds));
        }

        var device = model.Device;
        var eos = EosIds(model, options);
        var pad = PadId(model, options);
        var wasTraining = model.IsTraining;
        model.Train(false);
        try
        {
            using var noGrad = new NoGradScope();
            using var scope = new DisposeScope();
            using var generator = Generator.Create(options.Seed, device);
            using var cache = model.CreateKvCache(b, Math.Max(1, t0 + maxNew));
            var eosIds = eos.Count == 0 ? null : Tensor.FromArray(eos.Select(e => (long)e).ToArray(), 1, eos.Count).To(device); // (1, E)
            var mask = promptMask?.To(device, ScalarType.Int64);
            var hidden = model.ForwardHidden(new CausalLmInput(promptIds.To(device, ScalarType.Int64)) { AttentionMask = mask }, cache);
            var logits = LastLogits(model, hidden);                                                     // (B, V)
            var running = TorchOps.Ones([b], ScalarType.Bool, device);                                  // (B)
            var tokens = new List<Tensor>();
            var valid = new List<Tensor>();
            var logProbs = new List<Tensor>();
            for (var step = 0; step < maxNew; step++)
            {
                var next = TokenSampler.Next(logits, options, generator);                                // (B)
                var logProb = logits.LogSoftmax(-1).Gather(1, next.Unsqueeze(1)).Squeeze(1);             // (B)
                next = TorchOps.Where(running, next, TorchOps.FullLike(next, pad));
                tokens.Add(next);
                valid.Add(running);
                logProbs.Add(logProb.MaskedFill(running.LogicalNot(), 0.0));
                if (eosIds is not null) running = running.LogicalAnd(next.Unsqueeze(1).Eq(eosIds).Sum(1, dtype: ScalarType.Int64).Eq(0L));
                if (step == maxNew - 1 || !running.Any().Item<bool>()) break;
                hidden = model.ForwardHidden(new CausalLmInput(next.Unsqueeze(1)), cache);               // (B, 1, C)
                logits = LastLogits(model, hidden);
            }

            if (tokens.Count == 0)
            {
                return new GeneratedBatch(
                    TorchOps.Zeros([b, 0], ScalarType.Int64, device).DetachFromDisposeScope(),
                    TorchOps.Zeros([b, 0], ScalarType.Bool, device).DetachFromDisposeScope(),
                    TorchOps.Zeros([b, 0], ScalarType.Float32, device).DetachFromDisposeScope());
            }

            return new GeneratedBatch(
                TorchOps.Stack(tokens, 1).DetachFromDisposeScope(),                                     // (B, N)
                TorchOps.Stack(valid, 1).DetachFromDisposeScope(),
                TorchOps.Stack(logProbs, 1).DetachFromDisposeScope());
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>The eos ids the options ask for (the model's by default).</summary>
    private static IReadOnlyList<int> EosIds(IKvCacheCausalLm model, DecodingOptions options) =>
        options.EosTokenIds ?? model.GenerationConfig.EosTokenIds;

    /// <summary>The pad id: the options', the generation config's, its first eos id, or 0.</summary>
    private static int PadId(IKvCacheCausalLm model, DecodingOptions options)
    {
        var eos = EosIds(model, options);
        return options.PadTokenId ?? model.GenerationConfig.PadTokenId ?? (eos.Count > 0 ? eos[0] : 0);
    }

    /// <summary>(B, T, C) hidden → (B, V) float32 logits of the last position (the model's dtype, then float32, as
    /// transformers' generate does).</summary>
    private static Tensor LastLogits(IKvCacheCausalLm model, Tensor hidden) =>
        TorchOps.Linear(hidden.Select(1, hidden.Size(1) - 1), model.HeadWeight).To(ScalarType.Float32);
}
