// The user's reward function of on-policy GRPO: a score for one sampled completion of a prompt.
namespace MaskedSft.MLNet.Training.Rl;

/// <summary>Scores one sampled completion (a verifiable check, a reward model, ...). Must return a finite number.</summary>
/// <param name="promptIndex">The prompt's index in the trainer's prompt list.</param>
/// <param name="prompt">The prompt's token ids.</param>
/// <param name="completion">The generated token ids (ending with an eos id when it stopped at one).</param>
/// <returns>The reward.</returns>
public delegate double CompletionReward(int promptIndex, IReadOnlyList<int> prompt, IReadOnlyList<int> completion);
