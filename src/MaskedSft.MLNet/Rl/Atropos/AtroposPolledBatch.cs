// A batch GET /batch returned after polling, with how long it took to come.
namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>What <see cref="AtroposClient.WaitForBatchAsync"/> returns.</summary>
/// <param name="Groups">The batch's groups (their sequences add up to the registered batch size).</param>
/// <param name="EmptyPolls">How many <c>{"batch": null}</c> answers came before it.</param>
/// <param name="Waited">The time from the first poll to the batch.</param>
public sealed record AtroposPolledBatch(IReadOnlyList<AtroposScoredData> Groups, int EmptyPolls, TimeSpan Waited);
