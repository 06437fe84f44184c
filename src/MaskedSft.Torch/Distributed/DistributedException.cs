// A collective or the rendezvous failed: which rank, which operation, after how long, and why.
using System.Globalization;

namespace MaskedSft.Torch.Distributed;

/// <summary>
/// A distributed operation failed: the rendezvous did not complete, a peer closed its connection (its process ended),
/// or a collective did not finish within the group's timeout. The message names this rank, the operation, the time it
/// ran and the native cause, with a hint.
/// </summary>
public sealed class DistributedException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public DistributedException()
        : this("a distributed operation failed")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public DistributedException(string message)
        : base(message)
    {
        Operation = string.Empty;
        NativeMessage = message;
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public DistributedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = string.Empty;
        NativeMessage = message;
    }

    private DistributedException(string message, int rank, int worldSize, string operation, TimeSpan elapsed, TimeSpan timeout, string nativeMessage)
        : base(message)
    {
        Rank = rank;
        WorldSize = worldSize;
        Operation = operation;
        Elapsed = elapsed;
        Timeout = timeout;
        NativeMessage = nativeMessage;
    }

    /// <summary>The rank that raised the exception.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks in the group.</summary>
    public int WorldSize { get; }

    /// <summary>The operation that failed, e.g. "all_reduce(3 tensors, 1.2 MB, sum)".</summary>
    public string Operation { get; }

    /// <summary>How long the operation ran before it failed.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The group's timeout.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The native (c10d, Gloo, NCCL) message.</summary>
    public string NativeMessage { get; }

    /// <summary>True when the operation ran for (about) the whole timeout: a peer never took part.</summary>
    public bool TimedOut => Timeout > TimeSpan.Zero && Elapsed >= Timeout * 0.95;

    /// <summary>Builds the exception for the last native error of this thread.</summary>
    internal static DistributedException FromNative(int rank, int worldSize, DistributedBackend backend, string operation, TimeSpan elapsed, TimeSpan timeout)
    {
        var native = NativeMethods.TakeLastError();
        var timedOut = timeout > TimeSpan.Zero && elapsed >= timeout * 0.95;
        var hint = timedOut
            ? "another rank did not take part within the timeout (it hung, crashed before connecting, or is running a different collective); check every rank's output."
            : LooksLikePeerExit(native)
                ? "another rank's process ended or closed its connection; its output says why."
                : "check that every rank runs the same collectives in the same order with matching tensors.";
        var message = string.Create(CultureInfo.InvariantCulture,
            $"rank {rank} of {worldSize} ({backend.ToString().ToLowerInvariant()}): {operation} failed after {elapsed.TotalSeconds:0.0} s (timeout {timeout.TotalSeconds:0.#} s): {native.TrimEnd().TrimEnd('.')}. Hint: {hint}");
        return new DistributedException(message, rank, worldSize, operation, elapsed, timeout, native);
    }

    private static bool LooksLikePeerExit(string native) =>
        native.Contains("closed", StringComparison.OrdinalIgnoreCase)
        || native.Contains("reset by peer", StringComparison.OrdinalIgnoreCase)
        || native.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase)
        || native.Contains("refused", StringComparison.OrdinalIgnoreCase)
        || native.Contains("EOF", StringComparison.Ordinal);
}
