// What `maskedsft launch` starts: the node's ranks and the torchrun environment each of them gets.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MaskedSft.Torch.Distributed;

namespace MaskedSft.Cli.Launch;

/// <summary>The world of a launch (nodes, processes per node, this node's rank, the rendezvous address) and the
/// environment of each of this node's processes, as torchrun sets it.</summary>
internal sealed record LaunchPlan
{
    /// <summary>Environment variables that keep NVLink multicast off in every child (NCCL, symmetric memory, NVSHMEM).</summary>
    public static readonly IReadOnlyDictionary<string, string> MulticastOff = new Dictionary<string, string>
    {
        ["NCCL_NVLS_ENABLE"] = "0",
        ["TORCH_SYMM_MEM_DISABLE_MULTICAST"] = "1",
        ["NVSHMEM_DISABLE_NVLS"] = "1",
    };

    /// <summary>Processes on this node.</summary>
    public required int ProcessesPerNode { get; init; }

    /// <summary>Nodes in the world.</summary>
    public required int Nodes { get; init; }

    /// <summary>This node's index.</summary>
    public required int NodeRank { get; init; }

    /// <summary>Host of rank 0's TCP store.</summary>
    public required string MasterAddress { get; init; }

    /// <summary>Port of rank 0's TCP store.</summary>
    public required int MasterPort { get; init; }

    /// <summary>Processes in the world.</summary>
    public int WorldSize => Nodes * ProcessesPerNode;

    /// <summary>Checks the numbers and picks a free loopback port when the port is 0 on a single node.</summary>
    /// <returns>The plan.</returns>
    /// <exception cref="ArgumentException">A number is out of range, or a multi-node launch lacks the master port.</exception>
    public static LaunchPlan Create(int processesPerNode, int nodes, int nodeRank, string? masterAddress, int masterPort)
    {
        if (processesPerNode < 1)
        {
            throw new ArgumentException($"--nproc-per-node must be at least 1, got {processesPerNode}.");
        }

        if (nodes < 1)
        {
            throw new ArgumentException($"--nnodes must be at least 1, got {nodes}.");
        }

        if (nodeRank < 0 || nodeRank >= nodes)
        {
            throw new ArgumentException($"--node-rank {nodeRank} is outside [0, {nodes}).");
        }

        if (masterPort is < 0 or > 65535)
        {
            throw new ArgumentException($"--master-port must be in [0, 65535], got {masterPort}.");
        }

        if (nodes > 1 && (masterPort == 0 || string.IsNullOrWhiteSpace(masterAddress)))
        {
            throw new ArgumentException("a launch over several nodes needs --master-addr and --master-port (the same on every node; node 0 hosts the store).");
        }

        return new LaunchPlan
        {
            ProcessesPerNode = processesPerNode,
            Nodes = nodes,
            NodeRank = nodeRank,
            MasterAddress = string.IsNullOrWhiteSpace(masterAddress) ? "127.0.0.1" : masterAddress.Trim(),
            MasterPort = masterPort == 0 ? FreeLoopbackPort() : masterPort,
        };
    }

    /// <summary>The global rank of this node's local rank.</summary>
    public int RankOf(int localRank) => (NodeRank * ProcessesPerNode) + localRank;

    /// <summary>The variables a child gets on top of the launcher's environment: torchrun's, multicast off, and
    /// OMP_NUM_THREADS (the node's cores shared among its processes) unless the launcher's environment sets it.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentOf(int localRank)
    {
        string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>
        {
            [TorchrunEnvironment.MasterAddress] = MasterAddress,
            [TorchrunEnvironment.MasterPort] = Text(MasterPort),
            [TorchrunEnvironment.Rank] = Text(RankOf(localRank)),
            [TorchrunEnvironment.LocalRank] = Text(localRank),
            [TorchrunEnvironment.WorldSize] = Text(WorldSize),
            [TorchrunEnvironment.LocalWorldSize] = Text(ProcessesPerNode),
            [TorchrunEnvironment.GroupRank] = Text(NodeRank),
        };
        foreach (var (name, value) in MulticastOff)
        {
            env[name] = value;
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")))
        {
            env["OMP_NUM_THREADS"] = Text(Math.Max(1, Environment.ProcessorCount / ProcessesPerNode));
        }

        return env;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
