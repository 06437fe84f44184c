// The verdict of the mask audit on one episode: fine, nothing trained, or everything trained.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>The verdict of <see cref="MaskAudit.Audit"/>.</summary>
public enum MaskAuditFlag
{
    /// <summary>Some but not all targets are trained.</summary>
    Ok,

    /// <summary>No target is trained: the episode would contribute nothing (and a loss averaged over it is undefined).</summary>
    NoSupervisedTokens,

    /// <summary>Every target is trained: prompts are being trained too, which usually means the mask was lost.</summary>
    AllSupervised,
}
