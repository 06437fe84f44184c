// The masked-only LM head: the weighted SFT loss from final hidden states, projecting only supervised rows onto the vocabulary.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>The loss from a model's final hidden states and its LM head weight (see <see cref="ComputeFromHidden"/>).</summary>
public sealed partial class WeightedSftLoss
{
    /// <summary>
    /// Masked, optionally advantage-weighted loss from the final hidden states: only the rows whose target is supervised
    /// (<see cref="EffectiveMask"/>) are projected onto the vocabulary through <paramref name="headWeight"/>, so the (B·T, V)
    /// logits of unsupervised positions are never made. The other positions get no loss and no gradient either way, so the
    /// result equals <see cref="ComputeAligned"/> on the full logits <c>hidden · headWeightᵀ</c>, at a fraction of the
    /// head's cost. Many supervised rows over a large vocabulary are projected in chunks
    /// (<see cref="WeightedSftLossOptions.HeadChunkRows"/>, <c>TorchOps.LinearCrossEntropy</c>), so not even their logits
    /// exist whole; the per-token losses are then float32 for half-precision hidden states. Hidden states and targets are ALIGNED: <c>hidden[b, t]</c> predicts <c>targets[b, t]</c> (the loader's
    /// X through the model, and its Y).
    /// </summary>
    /// <param name="hidden">(B, T, C) final hidden states (e.g. <c>ICausalLm.ForwardHidden</c>).</param>
    /// <param name="headWeight">(V, C) the LM head's weight: logits = hidden · headWeightᵀ.</param>
    /// <param name="targets">(B, T) integer targets (the ignore index allowed).</param>
    /// <param name="lossMask">(B, T) loss mask aligned with the targets, or null to train every non-ignored target.</param>
    /// <param name="advantages">(B, T) aligned advantages, (B,) per sequence, or null for all ones.</param>
    /// <param name="normalizer">Global denominators for Mean (gradient accumulation), or null to count this call.</param>
    /// <param name="keepIndex">(N) int64 flat positions (row·T + t) of the effective-mask targets in order, when the caller
    /// knows them on the host (<see cref="EffectiveMask.AddPositions"/>); null finds them on the device with a nonzero,
    /// which on CUDA waits for the queued work. They must be exactly the mask's positions.</param>
    /// <returns>The loss and the per-token details, on the hidden states' device.</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public MaskedLmOutput ComputeFromHidden(Tensor hidden, Tensor headWeight, Tensor targets, Tensor? lossMask, Tensor? advantages = null, LossNormalizer? normalizer = null, Tensor? keepIndex = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(headWeight);
        ArgumentNullException.ThrowIfNull(targets);
        var shape = targets.Shape;
        var hs = hidden.Shape;
        var ws = headWeight.Shape;
        if (shape.Length != 2 || hs.Length != 3 || hs[0] != shape[0] || hs[1] != shape[1] || ws.Length != 2 || ws[1] != hs[2]
            || (lossMask is not null && !lossMask.Shape.AsSpan().SequenceEqual(shape)))
        {
            throw new ArgumentException(
                $"WeightedSftLoss.ComputeFromHidden expects hidden (B, T, C), head weight (V, C), targets (B, T) and a (B, T) loss mask; got hidden [{string.Join(", ", hs)}], " +
                $"head [{string.Join(", ", ws)}], targets [{string.Join(", ", shape)}], mask [{string.Join(", ", lossMask?.Shape ?? [])}]. Hint: pass the loader's Y and mask with the model's hidden states of its X.",
                nameof(targets));
        }

        using var scope = new DisposeScope();
        long b = shape[0], t = shape[1], c = hs[2];
        var device = hidden.Device;
        var flatHidden = hidden.Reshape(b * t, c);                                            // (BT, C)
        var flatTargets = targets.Reshape(-1).To(device, ScalarType.Int64);                   // (BT)
        var keep = EffectiveMask.Of(flatTargets, lossMask?.Reshape(-1), Options.IgnoreIndex); // (BT) bool
        var index = keepIndex?.To(device, ScalarType.Int64) ?? keep.Nonzero().Reshape(-1);   // (N)
        var selectedHidden = flatHidden.IndexSelect(0, index);                                 // (N, C)
        var selectedTargets = flatTargets.IndexSelect(0, index);                              // (N)
        var chunkRows = HeadChunkRows(index.Size(0), ws[0], device);
        if (chunkRows > 0 && Options.Reduction != LossReduction.None)
            return ChunkedWithCoefficients(selectedHidden, headWeight, selectedTargets, index, keep.Reshape(b, t), advantages, normalizer, chunkRows);

        Tensor nll, predictions;                                                               // (N), (N)
        Tensor? logits = null;                                                                 // (N, V) when not chunked
        if (chunkRows > 0)
        {
            var ce = TorchOps.LinearCrossEntropy(selectedHidden, headWeight, selectedTargets, null, Reduction.None,
                Options.IgnoreIndex, 1.0 / Options.Temperature, chunkRows);
            (nll, predictions) = (ce.Loss, ce.Predictions);
        }
        else
        {
            logits = TorchOps.Linear(selectedHidden, headWeight);                              // (N, V)
            var scaled = Options.Temperature == 1.0 ? logits : logits.Div(Options.Temperature);
            nll = TorchOps.CrossEntropy(scaled, selectedTargets, Reduction.None);             // (N)
            predictions = logits.Detach().Argmax(-1);                                          // (N)
        }

        var tokenNll = TorchOps.Zeros([b * t], nll.DType, device).Scatter(0, index, nll).Reshape(b, t); // (B, T)
        var eff = keep.To(nll.DType).Reshape(b, t);                                           // (B, T)
        var result = FromTokenLosses(tokenNll, eff, advantages?.To(device), normalizer);
        result.Advantages.Dispose();
        return new MaskedLmOutput(
            result.Loss.MoveToOuterScope(),
            result.PerTokenLoss.MoveToOuterScope(),
            tokenNll.Detach().MoveToOuterScope(),
            result.EffectiveMask.MoveToOuterScope(),
            logits?.MoveToOuterScope(),
            predictions.MoveToOuterScope(),
            selectedTargets.MoveToOuterScope());
    }

    /// <summary>
    /// The chunked head with a scalar reduction: the loss is linear in the per-token NLL with coefficients that do not
    /// depend on it (the advantages after normalisation times the aggregation's denominators, <see cref="AggregationWeights"/>),
    /// so the coefficients are computed first and handed to <c>TorchOps.LinearCrossEntropy</c> as token weights with
    /// <see cref="Reduction.Sum"/>. Its forward then computes the head's gradients in the same pass (three head products,
    /// as the naive head, instead of four). The loss and its gradients equal the general path's; the per-token losses are
    /// detached.
    /// </summary>
    private MaskedLmOutput ChunkedWithCoefficients(Tensor selectedHidden, Tensor headWeight, Tensor selectedTargets, Tensor index, Tensor valid, Tensor? advantages, LossNormalizer? normalizer, long chunkRows)
    {
        long b = valid.Size(0), t = valid.Size(1);
        var device = valid.Device;
        var dtype = selectedHidden.DType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;  // the NLL's
        var eff = valid.To(dtype);                                                            // (B, T)
        var adv = UsedAdvantages(advantages is null ? null : Broadcast(advantages.To(device), b, t), valid, eff); // (B, T)
        var coefficients = Options.Reduction == LossReduction.Sum
            ? adv.Mul(eff)
            : adv.Mul(AggregationWeights(eff, Options.Aggregation, normalizer, Options.NormLength)); // (B, T) d loss / d nll
        var selected = coefficients.Reshape(-1).IndexSelect(0, index);                        // (N)
        var ce = TorchOps.LinearCrossEntropy(selectedHidden, headWeight, selectedTargets, selected, Reduction.Sum,
            Options.IgnoreIndex, 1.0 / Options.Temperature, chunkRows);
        var tokenNll = TorchOps.Zeros([b * t], ce.Nll.DType, device).Scatter(0, index, ce.Nll).Reshape(b, t); // (B, T)
        var tokenLoss = tokenNll.Mul(adv.To(tokenNll.DType));                                 // (B, T), 0 where not supervised
        return new MaskedLmOutput(
            ce.Loss.MoveToOuterScope(),
            tokenLoss.MoveToOuterScope(),
            tokenNll.MoveToOuterScope(),
            eff.MoveToOuterScope(),
            null,
            ce.Predictions.MoveToOuterScope(),
            selectedTargets.MoveToOuterScope());
    }

    /// <summary>Rows per chunk of the head for <paramref name="rows"/> supervised rows and a vocabulary of
    /// <paramref name="vocab"/>, or 0 to project them whole (see <see cref="WeightedSftLossOptions.HeadChunkRows"/>).</summary>
    private long HeadChunkRows(long rows, long vocab, Device device)
    {
        if (Options.HeadChunkRows is { } given) return given;
        var automatic = Math.Max(1, TorchOps.AutomaticChunkElements(device) / Math.Max(vocab, 1));
        if (device.IsCuda && TorchOps.HasFusedCrossEntropyKernel) return automatic; // the fused head beats the naive one at any size
        return rows > automatic ? automatic : 0;
    }
}
