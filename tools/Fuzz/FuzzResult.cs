// The record of one fuzz input: which mutation, what happened, how long it took.
namespace MaskedSft.Tools.Fuzz;

/// <summary>One fuzz input's result.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="Index">The input's index (with the seed it reproduces the input: <c>--replay INDEX</c>).</param>
/// <param name="File">The mutated file, relative to the input folder.</param>
/// <param name="Mutations">The mutations applied, in order.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Detail">The exception type (rejected), or the finding's kind and message.</param>
/// <param name="Milliseconds">Time the product took.</param>
public sealed record FuzzResult(string Target, int Index, string File, IReadOnlyList<string> Mutations, FuzzOutcome Outcome, string Detail, double Milliseconds);
