// Generation's tensor result: (B, N) new tokens, which of them are real (up to and including eos), and their log-probs.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>New tokens of a batch as tensors on the model's device; the caller owns (and disposes) them.</summary>
public sealed class GeneratedBatch : IDisposable
{
    internal GeneratedBatch(Tensor tokens, Tensor valid, Tensor logProbs)
    {
        Tokens = tokens;
        Valid = valid;
        LogProbs = logProbs;
    }

    /// <summary>(B, N) int64 new tokens; after a row's eos, the pad id.</summary>
    public Tensor Tokens { get; }

    /// <summary>(B, N) bool: the token was generated while the row was running (its eos included).</summary>
    public Tensor Valid { get; }

    /// <summary>(B, N) float32 log p(token | context) under the unmodified distribution; 0 where not valid.</summary>
    public Tensor LogProbs { get; }

    /// <summary>The rows as arrays.</summary>
    /// <param name="eosTokenIds">The eos ids (to tell whether a row stopped at one).</param>
    /// <returns>One result per row.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="eosTokenIds"/> is null.</exception>
    public GeneratedSequence[] ToSequences(IReadOnlyCollection<int> eosTokenIds)
    {
        ArgumentNullException.ThrowIfNull(eosTokenIds);
        var eos = eosTokenIds.ToHashSet();
        long b = Tokens.Size(0), n = Tokens.Size(1);
        var tokens = Tokens.ToArray<long>();
        var valid = Valid.ToArray<bool>();
        var logProbs = LogProbs.ToArray<float>();
        var result = new GeneratedSequence[b];
        for (var r = 0; r < b; r++)
        {
            var count = 0;
            while (count < n && valid[r * n + count]) count++;
            var ids = new int[count];
            for (var i = 0; i < count; i++) ids[i] = (int)tokens[r * n + i];
            result[r] = new GeneratedSequence(ids, count > 0 && eos.Contains(ids[^1]), logProbs.AsSpan((int)(r * n), count).ToArray());
        }

        return result;
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Tokens.Dispose();
        Valid.Dispose();
        LogProbs.Dispose();
    }
}
