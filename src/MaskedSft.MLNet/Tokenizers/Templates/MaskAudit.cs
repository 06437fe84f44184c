// Flags loss masks that train nothing (e.g. after truncation) or everything (a template without assistant markers).
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>Audits loss masks (mask[i] = 1: token i is trained as a target; the first token can never be a target).</summary>
public static class MaskAudit
{
    /// <summary>Counts the supervised targets of <paramref name="mask"/> and flags none-trained or all-trained episodes.</summary>
    /// <param name="mask">One 0/1 byte per token.</param>
    /// <returns>The counts and the flag.</returns>
    public static MaskAuditResult Audit(ReadOnlySpan<byte> mask)
    {
        int supervised = 0;
        for (int i = 1; i < mask.Length; i++)
        {
            supervised += mask[i] != 0 ? 1 : 0;
        }

        var flag = supervised == 0 ? MaskAuditFlag.NoSupervisedTokens
            : supervised == mask.Length - 1 ? MaskAuditFlag.AllSupervised
            : MaskAuditFlag.Ok;
        return new MaskAuditResult(mask.Length, supervised, flag);
    }
}
