// The counts and verdict of the mask audit on one episode.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>Counts of one episode's mask and its flag.</summary>
/// <param name="Tokens">Episode length.</param>
/// <param name="SupervisedTargets">Targets with mask 1, not counting the first token (it has no context to be predicted from).</param>
/// <param name="Flag">The verdict.</param>
public readonly record struct MaskAuditResult(int Tokens, int SupervisedTargets, MaskAuditFlag Flag);
