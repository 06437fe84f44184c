// The boolean attention mask of a forward pass: causal order, padding (left or right), packed documents and cached slots.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Builds which keys each query may attend to. Query i sits at slot <c>past + i</c> of the key sequence (cached slots
/// first). A real query attends to earlier-or-same slots that are real tokens of its document; a padding query attends
/// only to itself (so no row is fully masked: its output is finite and ignored), and nothing attends to padding.
/// </summary>
internal static class AttentionMasks
{
    /// <summary>The mask for a forward pass, or null with <c>IsCausal</c> when plain causal attention is exact.</summary>
    /// <param name="batch">B.</param>
    /// <param name="length">T, the new tokens.</param>
    /// <param name="past">Slots already in the cache (0 without a cache).</param>
    /// <param name="attentionMask">(B, T) 1 = real token, or null (all real).</param>
    /// <param name="documentIds">(B, T) document of each token, or null (one document per row).</param>
    /// <param name="cachedSlotsValid">(B, past) bool, real cached slots, or null when every cached slot is real.</param>
    /// <param name="device">The model's device.</param>
    /// <returns>(B, 1, T, past + T) bool (true = attend), or null; IsCausal when the kernel must add causal order itself.</returns>
    public static (Tensor? Mask, bool IsCausal) Build(long batch, long length, long past, Tensor? attentionMask, Tensor? documentIds, Tensor? cachedSlotsValid, Device device)
    {
        if (attentionMask is null && documentIds is null && cachedSlotsValid is null)
        {
            if (past == 0) return (null, true);
            if (length == 1) return (null, false);
        }

        var total = past + length;
        var querySlots = TorchOps.Arange(past, total, 1, ScalarType.Int64, device);                     // (T)
        var keySlots = TorchOps.Arange(total, device);                                                  // (S)
        var q = querySlots.Unsqueeze(1);                                                                // (T, 1)
        var k = keySlots.Unsqueeze(0);                                                                  // (1, S)
        var allowed = k.Le(q).Unsqueeze(0);                                                             // (1, T, S) causal
        var queryValid = attentionMask?.To(device).Ne(0L);                                              // (B, T)
        if (queryValid is not null || cachedSlotsValid is not null)
        {
            var newValid = queryValid ?? TorchOps.Ones([batch, length], ScalarType.Bool, device);        // (B, T)
            var keyValid = cachedSlotsValid is null && past > 0
                ? TorchOps.Cat([TorchOps.Ones([batch, past], ScalarType.Bool, device), newValid], 1)
                : cachedSlotsValid is null ? newValid : TorchOps.Cat([cachedSlotsValid, newValid], 1); // (B, S)
            allowed = allowed.LogicalAnd(keyValid.Unsqueeze(1));                                         // (B, T, S)
        }

        if (documentIds is not null)
        {
            var docs = documentIds.To(device);                                                          // (B, T), past == 0
            allowed = allowed.LogicalAnd(docs.Unsqueeze(2).Eq(docs.Unsqueeze(1)));                      // (B, T, T)
        }

        if (queryValid is not null) allowed = allowed.LogicalAnd(queryValid.Unsqueeze(2));              // padding queries: nothing
        allowed = allowed.LogicalOr(k.Eq(q).Unsqueeze(0));                                              // ... but themselves
        if (allowed.Size(0) != batch) allowed = allowed.Expand(batch, length, total);
        return (allowed.Unsqueeze(1), false);                                                           // (B, 1, T, S)
    }
}
