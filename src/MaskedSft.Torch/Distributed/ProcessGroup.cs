// A process's membership of a c10d process group (Gloo or NCCL): barrier, all-reduce, broadcast and all-gather.
using System.Diagnostics;
using System.Globalization;

namespace MaskedSft.Torch.Distributed;

/// <summary>
/// This process's membership of a group of processes that run collectives together over libtorch's c10d (TCPStore
/// rendezvous; Gloo for CPU tensors, NCCL for CUDA tensors). Every rank must call the same collectives in the same
/// order with matching tensors; a collective that a peer never joins fails with a <see cref="DistributedException"/>
/// after <see cref="Timeout"/>, and one whose peer process ended fails as soon as the connection closes.
/// </summary>
/// <remarks>
/// Join with <see cref="FromEnvironment"/> in a process started by <c>maskedsft launch</c> or torchrun, or with
/// <see cref="Create"/>. A world of one without a master address (what <see cref="FromEnvironment"/> gives when no
/// launcher variables are set) opens no socket and needs no backend in the native build (a libtorch without Gloo's
/// headers, PyTorch's own, runs it too): its collectives leave the tensors as they are, which is exactly what they
/// compute for one rank, so single-process runs go through the same code. Collectives are serialized per group;
/// tensors are reduced, broadcast or gathered in place on the device of the backend (CPU for Gloo, cuda:LOCAL_RANK for
/// NCCL).
/// </remarks>
public sealed class ProcessGroup : IDisposable
{
    /// <summary>The default bucket size of <see cref="AllReduce(IReadOnlyList{Tensor}, ReduceOp, long)"/> and
    /// <see cref="Broadcast(IReadOnlyList{Tensor}, int, long)"/>: 25 MiB, PyTorch DDP's default.</summary>
    public const long DefaultBucketBytes = 25L * 1024 * 1024;

    private readonly Lock _gate = new();
    private IntPtr _handle;

    private ProcessGroup(IntPtr handle, ProcessGroupOptions options, Device device)
    {
        _handle = handle;
        Backend = options.Backend;
        Rank = options.Rank;
        WorldSize = options.WorldSize;
        LocalRank = options.LocalRank;
        Timeout = options.Timeout;
        IsLocal = options.MasterAddress is null;
        Device = device;
    }

    /// <summary>Leaves the group if it was not disposed.</summary>
    ~ProcessGroup()
    {
        Free();
    }

    /// <summary>The backend.</summary>
    public DistributedBackend Backend { get; }

    /// <summary>This process's rank in [0, <see cref="WorldSize"/>).</summary>
    public int Rank { get; }

    /// <summary>The number of processes.</summary>
    public int WorldSize { get; }

    /// <summary>This process's rank on its node.</summary>
    public int LocalRank { get; }

    /// <summary>The timeout of the rendezvous and of each collective.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>True for rank 0, the rank that writes checkpoints and metrics.</summary>
    public bool IsMain => Rank == 0;

    /// <summary>True for a local world of one (no master address: no store, no sockets).</summary>
    public bool IsLocal { get; }

    /// <summary>Where this rank's collective tensors live: CPU for Gloo, cuda:<see cref="LocalRank"/> for NCCL.</summary>
    public Device Device { get; }

    private IntPtr Handle
    {
        get
        {
            var h = _handle;
            ObjectDisposedException.ThrowIf(h == IntPtr.Zero, this);
            return h;
        }
    }

    /// <summary>Whether the native library was built with a backend (Gloo needs its headers, NCCL a CUDA libtorch
    /// and nccl.h at build time).</summary>
    /// <param name="backend">The backend.</param>
    /// <returns>True when <see cref="Create"/> can use it.</returns>
    public static bool IsBackendAvailable(DistributedBackend backend)
    {
        NativeMethods.EnsureLoaded();
        return NativeMethods.msft_dist_backend_available((int)backend) == 1;
    }

    /// <summary>
    /// Joins the group that the launcher's environment describes (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE,
    /// LOCAL_RANK; see <see cref="TorchrunEnvironment"/>), or a local world of one when WORLD_SIZE is not set.
    /// Blocks until every rank has joined or the timeout has passed.
    /// </summary>
    /// <param name="backend">The backend.</param>
    /// <param name="timeout">The timeout of the rendezvous and of each collective (default 10 minutes).</param>
    /// <returns>The group; dispose it when done.</returns>
    /// <exception cref="InvalidOperationException">A launcher variable is missing or malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive.</exception>
    /// <exception cref="DistributedException">The rendezvous failed or timed out.</exception>
    public static ProcessGroup FromEnvironment(DistributedBackend backend = DistributedBackend.Gloo, TimeSpan? timeout = null) =>
        Create(TorchrunEnvironment.ReadOptions(backend, timeout));

    /// <summary>Joins a group described explicitly. Blocks until every rank has joined or the timeout has passed.</summary>
    /// <param name="options">Backend, master address and port, rank, world size, local rank and timeout.</param>
    /// <returns>The group; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A number is out of range (rank outside the world, port outside
    /// [1, 65535], timeout not positive) or a world of more than one has no master address.</exception>
    /// <exception cref="DistributedException">The backend is not in this native build, CUDA is missing for NCCL, or
    /// the rendezvous failed or timed out.</exception>
    public static ProcessGroup Create(ProcessGroupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        NativeMethods.EnsureLoaded();
        var device = options.Backend == DistributedBackend.Nccl ? Device.Cuda(options.LocalRank) : Device.Cpu;
        var where = options.MasterAddress is null ? "local world of one" : $"{options.MasterAddress}:{options.MasterPort}";
        var operation = $"rendezvous at {where} (world of {options.WorldSize})";
        var watch = Stopwatch.StartNew();
        var handle = NativeMethods.msft_dist_create(
            (int)options.Backend, options.MasterAddress, options.MasterPort, options.Rank, options.WorldSize,
            device.Type == DeviceType.Cuda ? device.Index : 0, (long)Math.Ceiling(options.Timeout.TotalMilliseconds));
        if (handle == IntPtr.Zero)
        {
            throw DistributedException.FromNative(options.Rank, options.WorldSize, options.Backend, operation, watch.Elapsed, options.Timeout);
        }

        return new ProcessGroup(handle, options, device);
    }

    /// <summary>Waits until every rank has reached this barrier.</summary>
    /// <exception cref="ObjectDisposedException">The group was disposed.</exception>
    /// <exception cref="DistributedException">A rank failed or did not arrive within the timeout.</exception>
    public void Barrier() => Run("barrier", h => NativeMethods.msft_dist_barrier(h));

    /// <summary>Combines one tensor across the ranks, in place: afterwards every rank holds the result.</summary>
    /// <param name="tensor">The tensor (on <see cref="Device"/>; same dtype and shape on every rank).</param>
    /// <param name="op">The combination.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="ArgumentException"><see cref="ReduceOp.Average"/> of a non-floating-point tensor.</exception>
    /// <exception cref="ObjectDisposedException">The group or the tensor was disposed.</exception>
    /// <exception cref="DistributedException">The tensor is on the wrong device, or a rank failed or timed out.</exception>
    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        AllReduce([tensor], op, bucketBytes: 0);
    }

    /// <summary>
    /// Combines many tensors across the ranks, in place, flattening consecutive tensors of one dtype into buckets of
    /// at most <paramref name="bucketBytes"/> (0: one collective per tensor). All buckets are started before the first
    /// is waited for, so the transport overlaps them; use it for a model's gradients.
    /// </summary>
    /// <param name="tensors">The tensors (on <see cref="Device"/>; the same list of dtypes and shapes on every rank).</param>
    /// <param name="op">The combination.</param>
    /// <param name="bucketBytes">The largest bucket in bytes (a larger tensor gets its own); 0 for no bucketing.</param>
    /// <exception cref="ArgumentNullException">The list or one of its tensors is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bucketBytes"/> is negative.</exception>
    /// <exception cref="ArgumentException"><see cref="ReduceOp.Average"/> of a non-floating-point tensor.</exception>
    /// <exception cref="ObjectDisposedException">The group or a tensor was disposed.</exception>
    /// <exception cref="DistributedException">A tensor is on the wrong device, or a rank failed or timed out.</exception>
    public void AllReduce(IReadOnlyList<Tensor> tensors, ReduceOp op = ReduceOp.Sum, long bucketBytes = DefaultBucketBytes)
    {
        var handles = Handles(tensors, nameof(tensors));
        ArgumentOutOfRangeException.ThrowIfNegative(bucketBytes);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "unknown reduce op");
        }

        if (op == ReduceOp.Average)
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                if (!tensors[i].DType.IsFloatingPoint())
                {
                    throw new ArgumentException($"all_reduce: {nameof(ReduceOp.Average)} needs floating-point tensors; tensor {i} is {tensors[i].DType}. Hint: use Sum and divide yourself.", nameof(tensors));
                }
            }
        }

        var name = $"all_reduce({Summary(tensors)}, {op.ToString().ToLowerInvariant()})";
        Run(name, h =>
        {
            unsafe
            {
                fixed (IntPtr* p = handles)
                {
                    return NativeMethods.msft_dist_all_reduce(h, p, handles.Length, (int)op, bucketBytes);
                }
            }
        });
        GC.KeepAlive(tensors);
    }

    /// <summary>Overwrites one tensor on every rank with the root's, in place.</summary>
    /// <param name="tensor">The tensor (on <see cref="Device"/>; same dtype and shape on every rank).</param>
    /// <param name="root">The rank whose values are sent.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank.</exception>
    /// <exception cref="ObjectDisposedException">The group or the tensor was disposed.</exception>
    /// <exception cref="DistributedException">The tensor is on the wrong device, or a rank failed or timed out.</exception>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Broadcast([tensor], root, bucketBytes: 0);
    }

    /// <summary>Overwrites many tensors on every rank with the root's, in place, bucketed like
    /// <see cref="AllReduce(IReadOnlyList{Tensor}, ReduceOp, long)"/>; use it for a model's initial weights.</summary>
    /// <param name="tensors">The tensors (on <see cref="Device"/>; the same list of dtypes and shapes on every rank).</param>
    /// <param name="root">The rank whose values are sent.</param>
    /// <param name="bucketBytes">The largest bucket in bytes; 0 for no bucketing.</param>
    /// <exception cref="ArgumentNullException">The list or one of its tensors is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank or
    /// <paramref name="bucketBytes"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The group or a tensor was disposed.</exception>
    /// <exception cref="DistributedException">A tensor is on the wrong device, or a rank failed or timed out.</exception>
    public void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0, long bucketBytes = DefaultBucketBytes)
    {
        var handles = Handles(tensors, nameof(tensors));
        CheckRank(root, nameof(root));
        ArgumentOutOfRangeException.ThrowIfNegative(bucketBytes);
        Run($"broadcast({Summary(tensors)}, root {root})", h =>
        {
            unsafe
            {
                fixed (IntPtr* p = handles)
                {
                    return NativeMethods.msft_dist_broadcast(h, p, handles.Length, root, bucketBytes);
                }
            }
        });
        GC.KeepAlive(tensors);
    }

    /// <summary>Gathers every rank's tensor: element r of the result is rank r's tensor (new tensors in the current
    /// dispose scope, on <see cref="Device"/>).</summary>
    /// <param name="tensor">This rank's tensor (the same dtype and shape on every rank; checked first).</param>
    /// <returns>One tensor per rank, in rank order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The group or the tensor was disposed.</exception>
    /// <exception cref="DistributedException">The ranks' shapes or dtypes differ, the tensor is on the wrong device,
    /// or a rank failed or timed out.</exception>
    public Tensor[] AllGather(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var input = tensor.Handle;
        var outputs = new IntPtr[WorldSize];
        Run($"all_gather({Summary([tensor])})", h =>
        {
            unsafe
            {
                fixed (IntPtr* p = outputs)
                {
                    return NativeMethods.msft_dist_all_gather(h, input, p);
                }
            }
        });
        GC.KeepAlive(tensor);
        return [.. outputs.Select(o => new Tensor(o))];
    }

    /// <summary>Gathers every rank's byte payload; the payloads may differ in length (the lengths travel first).</summary>
    /// <param name="payload">This rank's bytes (may be empty).</param>
    /// <returns>One array per rank, in rank order.</returns>
    /// <exception cref="ObjectDisposedException">The group was disposed.</exception>
    /// <exception cref="DistributedException">A rank failed or timed out.</exception>
    public byte[][] AllGatherBytes(ReadOnlySpan<byte> payload)
    {
        var lengths = new long[WorldSize];
        IntPtr result;
        var watch = Stopwatch.StartNew();
        var name = string.Create(CultureInfo.InvariantCulture, $"all_gather_bytes({payload.Length} bytes)");
        lock (_gate)
        {
            unsafe
            {
                fixed (byte* data = payload)
                fixed (long* l = lengths)
                {
                    result = NativeMethods.msft_dist_all_gather_bytes(Handle, data, payload.Length, l);
                }
            }

            if (result == IntPtr.Zero)
            {
                throw DistributedException.FromNative(Rank, WorldSize, Backend, name, watch.Elapsed, Timeout);
            }
        }

        GC.KeepAlive(this);
        using var all = new Tensor(result).DetachFromDisposeScope();
        var bytes = all.ToArray<byte>();
        var gathered = new byte[WorldSize][];
        var offset = 0;
        for (var r = 0; r < WorldSize; r++)
        {
            gathered[r] = bytes.AsSpan(offset, checked((int)lengths[r])).ToArray();
            offset += gathered[r].Length;
        }

        return gathered;
    }

    /// <summary>Leaves the group (rank 0 also stops the store). Call it on every rank after the last collective.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"ProcessGroup({Backend.ToString().ToLowerInvariant()}, rank {Rank} of {WorldSize}{(IsLocal ? ", local" : string.Empty)})";

    private static void Validate(ProcessGroupOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WorldSize, 1, nameof(options.WorldSize));
        if (options.Rank < 0 || options.Rank >= options.WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Rank, $"{nameof(options.Rank)} {options.Rank} is outside [0, {options.WorldSize}).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.LocalRank, nameof(options.LocalRank));
        if (options.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Timeout, $"{nameof(options.Timeout)} must be positive.");
        }

        if (options.MasterAddress is null)
        {
            if (options.WorldSize != 1)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.WorldSize, $"a world of {options.WorldSize} processes needs a {nameof(options.MasterAddress)} (torchrun's MASTER_ADDR).");
            }
        }
        else if (options.MasterPort is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MasterPort, $"{nameof(options.MasterPort)} must be in [1, 65535].");
        }
    }

    private static IntPtr[] Handles(IReadOnlyList<Tensor> tensors, string parameter)
    {
        ArgumentNullException.ThrowIfNull(tensors, parameter);
        var handles = new IntPtr[tensors.Count];
        for (var i = 0; i < handles.Length; i++)
        {
            handles[i] = (tensors[i] ?? throw new ArgumentNullException(parameter, $"tensor {i} is null")).Handle;
        }

        return handles;
    }

    private static string Summary(IReadOnlyList<Tensor> tensors)
    {
        long bytes = 0;
        foreach (var t in tensors)
        {
            bytes += t.NumberOfElements * t.DType.ElementSize();
        }

        var what = tensors.Count == 1 ? tensors[0].Describe() : $"{tensors.Count} tensors";
        return string.Create(CultureInfo.InvariantCulture, $"{what}, {bytes / 1e6:0.###} MB");
    }

    private void CheckRank(int rank, string parameter)
    {
        if (rank < 0 || rank >= WorldSize)
        {
            throw new ArgumentOutOfRangeException(parameter, rank, $"not a rank of this group of {WorldSize}.");
        }
    }

    private void Run(string operation, Func<IntPtr, int> call)
    {
        var watch = Stopwatch.StartNew();
        lock (_gate)
        {
            if (call(Handle) != 0)
            {
                throw DistributedException.FromNative(Rank, WorldSize, Backend, operation, watch.Elapsed, Timeout);
            }
        }

        GC.KeepAlive(this);
    }

    private void Free()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero)
        {
            NativeMethods.msft_dist_free(h);
        }
    }
}
