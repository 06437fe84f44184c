// The environment variables torchrun (and `maskedsft launch`) give each process, and reading them into options.
using System.Globalization;

namespace MaskedSft.Torch.Distributed;

/// <summary>
/// Names of the environment variables that torchrun sets for each process it starts (and that
/// <c>maskedsft launch</c> sets the same way), and <see cref="ReadOptions"/>, which turns them into
/// <see cref="ProcessGroupOptions"/>.
/// </summary>
public static class TorchrunEnvironment
{
    /// <summary>Host of rank 0's TCP store.</summary>
    public const string MasterAddress = "MASTER_ADDR";

    /// <summary>Port of rank 0's TCP store.</summary>
    public const string MasterPort = "MASTER_PORT";

    /// <summary>Global rank of the process.</summary>
    public const string Rank = "RANK";

    /// <summary>Number of processes over all nodes.</summary>
    public const string WorldSize = "WORLD_SIZE";

    /// <summary>Rank of the process on its node.</summary>
    public const string LocalRank = "LOCAL_RANK";

    /// <summary>Number of processes on this node.</summary>
    public const string LocalWorldSize = "LOCAL_WORLD_SIZE";

    /// <summary>Rank of this node among the nodes.</summary>
    public const string GroupRank = "GROUP_RANK";

    /// <summary>True when WORLD_SIZE is set, i.e. the process was started by a launcher.</summary>
    public static bool IsPresent => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WorldSize));

    /// <summary>
    /// Reads the launcher's variables. Without WORLD_SIZE the result is a local world of one (rank 0, no master address);
    /// otherwise MASTER_ADDR, MASTER_PORT and RANK are required and LOCAL_RANK defaults to 0.
    /// </summary>
    /// <param name="backend">The backend to use (the launcher does not choose one).</param>
    /// <param name="timeout">The timeout (default <see cref="ProcessGroupOptions.DefaultTimeout"/>).</param>
    /// <returns>The options.</returns>
    /// <exception cref="InvalidOperationException">A variable is missing or not a valid number; the message names it
    /// and its value.</exception>
    public static ProcessGroupOptions ReadOptions(DistributedBackend backend = DistributedBackend.Gloo, TimeSpan? timeout = null)
    {
        var options = new ProcessGroupOptions { Backend = backend, Timeout = timeout ?? ProcessGroupOptions.DefaultTimeout };
        if (!IsPresent)
        {
            return options;
        }

        var worldSize = ReadInt(WorldSize, 1, int.MaxValue, required: true);
        var address = Environment.GetEnvironmentVariable(MasterAddress);
        if (string.IsNullOrWhiteSpace(address))
        {
            throw new InvalidOperationException(
                $"{WorldSize} is set ({worldSize}) but {MasterAddress} is not; start the processes with `maskedsft launch` or torchrun, or set {MasterAddress}, {MasterPort} and {Rank} too.");
        }

        return options with
        {
            MasterAddress = address.Trim(),
            MasterPort = ReadInt(MasterPort, 1, 65535, required: true),
            WorldSize = worldSize,
            Rank = ReadInt(Rank, 0, worldSize - 1, required: true),
            LocalRank = ReadInt(LocalRank, 0, int.MaxValue, required: false),
        };
    }

    private static int ReadInt(string name, int min, int max, bool required)
    {
        var text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return required
                ? throw new InvalidOperationException($"the environment variable {name} is not set; a launched process needs {MasterAddress}, {MasterPort}, {Rank} and {WorldSize}.")
                : 0;
        }

        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new InvalidOperationException($"the environment variable {name} is '{text}'; expected an integer in [{min}, {max}].");
        }

        return value;
    }
}
