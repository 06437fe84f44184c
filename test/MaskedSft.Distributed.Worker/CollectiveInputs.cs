// The tensors and payloads each rank contributes to the collectives scenario, a pure function of the rank, so the
// tests can compute the expected results in their own process.
using System.Text;
using MaskedSft.Torch;

namespace MaskedSft.Distributed.Worker;

/// <summary>Deterministic per-rank inputs of the collectives scenario.</summary>
public static class CollectiveInputs
{
    /// <summary>Bucket size of the bucketed all-reduce: small, so that the three tensors land in several buckets.</summary>
    public const long SmallBucketBytes = 64;

    /// <summary>A (3, 50) float tensor from the generator seeded 1000 + rank.</summary>
    public static Tensor Dense(int rank)
    {
        using var g = Generator.Create(1000UL + (ulong)rank);
        return TorchOps.Randn([3, 50], g); // (3, 50)
    }

    /// <summary>Three tensors for the bucketed all-reduce: (7), a non-contiguous (5, 4) transpose, (33).</summary>
    public static Tensor[] BucketList(int rank)
    {
        using var g = Generator.Create(2000UL + (ulong)rank);
        return [TorchOps.Randn([7], g), TorchOps.Randn([4, 5], g).Transpose(0, 1), TorchOps.Randn([33], g)];
    }

    /// <summary>Two int64 values: [rank, 10 - rank].</summary>
    public static Tensor Longs(int rank) => Tensor.FromArray(new long[] { rank, 10 - rank }, 2); // (2)

    /// <summary>Four copies of rank + 1.</summary>
    public static Tensor BroadcastSource(int rank) => TorchOps.Full([4], rank + 1); // (4)

    /// <summary>[0, 1, 2, 3, 4] + 10 * rank as floats.</summary>
    public static Tensor GatherSource(int rank) => TorchOps.Arange(0, 5, 1, ScalarType.Float32).Add(10.0 * rank); // (5)

    /// <summary>Empty for rank 0, else "rank r:" followed by 1000 * r letters (so every length differs).</summary>
    public static byte[] Payload(int rank) =>
        rank == 0 ? [] : Encoding.UTF8.GetBytes($"rank {rank}:" + new string((char)('a' + (rank % 26)), 1000 * rank));
}
