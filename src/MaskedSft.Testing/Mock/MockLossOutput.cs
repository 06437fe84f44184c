// What MockLossModel.Forward returns: the training loss, per-sample losses and token accuracy.
using MaskedSft.Torch;

namespace MaskedSft.Testing.Mock;

/// <summary>The outputs of <see cref="MockLossModel.Forward"/>.</summary>
/// <param name="Loss">Mean of the per-sample losses, a scalar with a gradient. ()</param>
/// <param name="PerSampleLoss">Each sample's loss (difficulty × masked mean cross-entropy / ln V), with a gradient. (B)</param>
/// <param name="TokenAccuracy">Fraction of supervised action tokens the argmax predicts, no gradient. ()</param>
/// <param name="CorrectTokens">How many supervised action tokens the argmax predicts, no gradient. ()</param>
/// <param name="SupervisedTokens">Supervised action tokens of each sample (the loss mask's row sums), no gradient. (B)</param>
public sealed record MockLossOutput(Tensor Loss, Tensor PerSampleLoss, Tensor TokenAccuracy, Tensor CorrectTokens, Tensor SupervisedTokens);
