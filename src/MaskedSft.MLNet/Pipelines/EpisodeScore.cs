// The score of one episode under a fitted model: masked loss, supervised-token count and per-target log-probabilities.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>One row of <see cref="MaskedSftModel.Transform"/>.</summary>
/// <param name="EpisodeIndex">Index of the episode in the dataset.</param>
/// <param name="Key">The episode's stable key.</param>
/// <param name="Split">Its split.</param>
/// <param name="MaskedLoss">Mean negative log-likelihood over its supervised targets (0 when it has none).</param>
/// <param name="SupervisedTokens">Number of supervised targets scored.</param>
/// <param name="TargetLogProbs">Log-probability of every scored target: element j is log p(token j+1 | tokens 0..j).</param>
/// <param name="Truncated">Whether the episode was longer than the model's block and only its first block was scored.</param>
public sealed record EpisodeScore(int EpisodeIndex, ulong Key, DatasetSplit Split, double MaskedLoss, int SupervisedTokens, float[] TargetLogProbs, bool Truncated);
