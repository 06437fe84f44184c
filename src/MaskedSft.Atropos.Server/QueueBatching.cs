// The batching rules of the Atropos server: exact batches from a queue of groups of mixed sizes, and buffered partial groups.
using MaskedSft.MLNet.Rl.Atropos;

namespace MaskedSft.Atropos.Server;

/// <summary>
/// How the server forms batches of exactly <c>batch_size</c> sequences from whole groups (the archived server's
/// <c>grab_exact_from_heterogeneous_queue</c> and <c>find_groups_summing_to_target</c>, rewritten from their documented
/// behaviour): groups are never split; groups smaller than the largest group size G are packed into packs of G sequences
/// (same-size groups, in queue order), and packs are taken in queue order until the batch is exactly full.
/// </summary>
public static class QueueBatching
{
    /// <summary>Takes one batch of exactly <paramref name="batchSize"/> sequences out of <paramref name="queue"/>.</summary>
    /// <param name="queue">The queue (groups taken are removed; the rest keeps its order).</param>
    /// <param name="batchSize">Sequences per batch.</param>
    /// <returns>The batch's groups in queue order, or null when no exact batch can be formed (the queue is unchanged).</returns>
    public static List<AtroposScoredData>? TakeExact(List<AtroposScoredData> queue, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (queue.Count == 0 || queue.Sum(g => g.Count) < batchSize) return null;
        var largest = queue.Max(g => g.Count);
        var pending = new Dictionary<int, List<int>>();
        var packable = new List<int>();
        for (var i = 0; i < queue.Count; i++)
        {
            var size = queue[i].Count;
            if (!pending.TryGetValue(size, out var list)) pending[size] = list = [];
            list.Add(i);
            if (list.Count * size == largest)
            {
                packable.AddRange(list);
                list.Clear();
            }
        }

        var taken = new List<int>();
        var sequences = 0;
        foreach (var i in packable)
        {
            taken.Add(i);
            sequences += queue[i].Count;
            if (sequences >= batchSize) break;
        }

        if (sequences != batchSize) return null;
        var batch = taken.Select(i => queue[i]).ToList();
        var remove = taken.ToHashSet();
        var rest = queue.Where((_, i) => !remove.Contains(i)).ToList();
        queue.Clear();
        queue.AddRange(rest);
        return batch;
    }

    /// <summary>Indices of buffered groups whose sizes sum to exactly <paramref name="target"/>: first in FIFO order
    /// (taking each group that still fits), else any subset found by dynamic programming, preferring earlier groups.</summary>
    /// <param name="sizes">The buffered groups' sizes, oldest first.</param>
    /// <param name="target">The environment's group size.</param>
    /// <returns>The indices in increasing order, or empty when no subset sums to the target.</returns>
    public static IReadOnlyList<int> FindGroupsSummingTo(IReadOnlyList<int> sizes, int target)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count == 0 || target <= 0) return [];
        var fifo = new List<int>();
        var sum = 0;
        for (var i = 0; i < sizes.Count; i++)
        {
            if (sum + sizes[i] > target) continue;
            fifo.Add(i);
            sum += sizes[i];
            if (sum == target) return fifo;
        }

        // reachable[i, j]: some subset of the first i groups sums to j.
        var n = sizes.Count;
        var reachable = new bool[n + 1, target + 1];
        reachable[0, 0] = true;
        for (var i = 1; i <= n; i++)
        {
            for (var j = 0; j <= target; j++)
            {
                reachable[i, j] = reachable[i - 1, j] || (j >= sizes[i - 1] && reachable[i - 1, j - sizes[i - 1]]);
            }
        }

        if (!reachable[n, target]) return [];
        var chosen = new List<int>();
        var rest = target;
        for (var i = n; i > 0 && rest > 0; i--)
        {
            if (rest >= sizes[i - 1] && reachable[i - 1, rest - sizes[i - 1]])
            {
                chosen.Add(i - 1);
                rest -= sizes[i - 1];
            }
        }

        chosen.Reverse();
        return chosen;
    }
}
