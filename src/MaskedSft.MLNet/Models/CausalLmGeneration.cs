// Text continuation for any ICausalLm: greedy or sampled (temperature, top-k), a stop token, context cropped to the model.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models;

/// <summary>Generation on top of <see cref="ICausalLm.ForwardHidden"/> and <see cref="ICausalLm.HeadWeight"/>: only the last
/// position of each step is projected onto the vocabulary.</summary>
public static class CausalLmGeneration
{
    /// <summary>Continues each row of a prompt, greedily or by sampling; the model is in evaluation mode meanwhile.</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompt">(B, T0) int64 token ids, T0 &gt;= 1 (the context is cropped to <see cref="ICausalLm.MaxSequenceLength"/> while generating).</param>
    /// <param name="options">Length, temperature (0 = greedy), top-k, seed and stop token.</param>
    /// <returns>(B, T0 + n) the prompt followed by the new tokens; rows that stopped are padded with the stop token. The result
    /// joins the caller's dispose scope.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="prompt"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">MaxNewTokens is negative, Temperature is negative, or TopK is not positive.</exception>
    /// <exception cref="ArgumentException">The prompt is not (B, T0) with T0 &gt;= 1.</exception>
    public static Tensor Generate(this ICausalLm model, Tensor prompt, GenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxNewTokens);
        if (!(options.Temperature >= 0) || double.IsInfinity(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "Temperature must be finite and >= 0 (0 = greedy).");
        if (options.TopK is <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be positive.");
        if (prompt.Dim != 2 || prompt.Size(1) < 1)
            throw new ArgumentException($"Generate expects a (B, T0) prompt with T0 >= 1; got [{string.Join(", ", prompt.Shape)}].", nameof(prompt));
        var wasTraining = model.IsTraining;
        model.Train(false);
        using var noGrad = new NoGradScope();
        var device = model.Device;
        using var generator = Generator.Create(options.Seed, device);
        Tensor sequence;                                                                   // (B, T0 + step)
        using (new DisposeScope())
        {
            sequence = prompt.To(device, ScalarType.Int64).Clone().DetachFromDisposeScope();
        }

        Tensor? finished = null;
        try
        {
            for (var step = 0; step < options.MaxNewTokens; step++)
            {
                using var scope = new DisposeScope();
                var length = sequence.Size(1);
                var context = sequence.Slice(1, Math.Max(0, length - model.MaxSequenceLength), length);
                var hidden = model.ForwardHidden(new CausalLmInput(context));                 // (B, Tc, C)
                var last = hidden.Select(1, hidden.Size(1) - 1);                               // (B, C)
                var logits = TorchOps.Linear(last, model.HeadWeight);                          // (B, V)
                Tensor next;                                                                   // (B, 1)
                if (options.Temperature == 0)
                {
                    next = logits.Argmax(-1, keepDim: true);
                }
                else
                {
                    logits = logits.Div(options.Temperature);
                    if (options.TopK is { } k && k < model.VocabSize)
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
            model.Train(wasTraining);
        }
    }

    /// <summary>Greedy or sampled continuation of one prompt given as ids.</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompt">Token ids (at least one).</param>
    /// <param name="options">Generation options.</param>
    /// <returns>Only the new tokens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    public static int[] Generate(this ICausalLm model, ReadOnlySpan<int> prompt, GenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (prompt.IsEmpty) throw new ArgumentException("Generate needs at least one prompt token.", nameof(prompt));
        using var scope = new DisposeScope();
        var ids = new long[prompt.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = prompt[i];
        var output = model.Generate(Tensor.FromArray(ids, 1, ids.Length), options);
        return output.Slice(1, ids.Length, output.Size(1)).Reshape(-1).ToArray<long>().Select(v => (int)v).ToArray();
    }
}
