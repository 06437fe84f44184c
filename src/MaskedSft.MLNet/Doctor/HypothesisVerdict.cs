// The verdict of one debugging hypothesis of `doctor rl` on a run.
namespace MaskedSft.MLNet.Doctor;

/// <summary>What a run's evidence says about a hypothesis (seed 004's status vocabulary).</summary>
public enum HypothesisVerdict
{
    /// <summary>The evidence shows the problem in this run.</summary>
    Validated,

    /// <summary>The evidence rules the problem out for this run.</summary>
    Invalidated,

    /// <summary>The run does not hold enough evidence either way.</summary>
    Inconclusive,
}
