// One hypothesis checked by `doctor rl`: id, title, verdict, the evidence read from the run, and what to do next.
namespace MaskedSft.MLNet.Doctor;

/// <summary>A hypothesis of seed 004 checked on a run.</summary>
/// <param name="Id">H01..H06.</param>
/// <param name="Title">What the hypothesis claims.</param>
/// <param name="Verdict">Validated, invalidated or inconclusive.</param>
/// <param name="Evidence">The measured facts behind the verdict, one sentence each.</param>
/// <param name="NextStep">What to try or change.</param>
public sealed record HypothesisFinding(string Id, string Title, HypothesisVerdict Verdict, IReadOnlyList<string> Evidence, string NextStep);
