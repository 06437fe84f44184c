// Explicit membership of a process group: backend, rendezvous address, rank, world size and timeout.
namespace MaskedSft.Torch.Distributed;

/// <summary>
/// How one process joins a <see cref="ProcessGroup"/>. Every rank passes the same backend, master address and port,
/// world size and timeout, and its own rank. Leave <see cref="MasterAddress"/> null for a local world of one (no
/// rendezvous, no sockets).
/// </summary>
public sealed record ProcessGroupOptions
{
    /// <summary>The default timeout of the rendezvous and of every collective: 10 minutes.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The backend (Gloo by default).</summary>
    public DistributedBackend Backend { get; init; } = DistributedBackend.Gloo;

    /// <summary>Host of rank 0's TCP store (torchrun's MASTER_ADDR); null for a local world of one.</summary>
    public string? MasterAddress { get; init; }

    /// <summary>Port of rank 0's TCP store (torchrun's MASTER_PORT).</summary>
    public int MasterPort { get; init; } = 29500;

    /// <summary>This process's rank in [0, <see cref="WorldSize"/>) (torchrun's RANK).</summary>
    public int Rank { get; init; }

    /// <summary>The number of processes (torchrun's WORLD_SIZE).</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary>This process's index on its node (torchrun's LOCAL_RANK): the CUDA device of an NCCL group.</summary>
    public int LocalRank { get; init; }

    /// <summary>How long the rendezvous waits for the other ranks and each collective for its peers.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
}
