// Gradient checkpointing of a block: forward keeps no activations, backward recomputes them (torch.utils.checkpoint).
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace MaskedSft.Torch;

/// <summary>
/// Runs a block (e.g. a transformer layer) so that its intermediate activations are not kept for backward: the forward
/// pass runs without recording a graph and backward runs the block again, with gradients on, to back-propagate through
/// it (torch.utils.checkpoint with <c>use_reentrant=True</c>). The block must be deterministic (no dropout) and compute
/// the same output from the same inputs; its parameters get the same gradients as without checkpointing. Without
/// gradient recording (a <see cref="NoGradScope"/>) <see cref="Apply"/> just runs the block.
/// </summary>
public sealed unsafe class CheckpointedFunction : IDisposable
{
    private static readonly ConcurrentDictionary<long, CheckpointedFunction> s_registry = new();
    private static long s_nextId;
    private readonly Func<Tensor, IReadOnlyList<Tensor?>, Tensor> _block;
    private readonly long _id;

    /// <summary>Registers a block.</summary>
    /// <param name="block">Computes the output from the input (the tensor gradients flow through) and the extra inputs
    /// given to <see cref="Apply"/> (null where absent; they get no gradient). Tensors it creates belong to a scope that
    /// ends when it returns; the output is kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="block"/> is null.</exception>
    public CheckpointedFunction(Func<Tensor, IReadOnlyList<Tensor?>, Tensor> block)
    {
        ArgumentNullException.ThrowIfNull(block);
        _block = block;
        _id = Interlocked.Increment(ref s_nextId);
        s_registry[_id] = this;
    }

    /// <summary>Runs the block on <paramref name="input"/>, checkpointed when gradients are recorded.</summary>
    /// <param name="input">The input gradients flow to; one that does not require grad is treated as a leaf that does,
    /// so a block's trainable parameters get gradients even behind frozen layers.</param>
    /// <param name="extras">Further inputs (masks, rotary tables; null allowed); they are kept alive until backward.</param>
    /// <returns>The block's output.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The function was disposed.</exception>
    /// <exception cref="TorchException">The block failed (the message carries its exception's message).</exception>
    public Tensor Apply(Tensor input, params Tensor?[] extras)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(extras);
        ObjectDisposedException.ThrowIf(!s_registry.ContainsKey(_id), this);
        var handles = new IntPtr[extras.Length];
        for (var i = 0; i < extras.Length; i++) handles[i] = extras[i]?.Handle ?? IntPtr.Zero;
        IntPtr result;
        fixed (IntPtr* p = handles)
        {
            result = NativeMethods.msft_checkpoint((IntPtr)(delegate* unmanaged[Cdecl]<long, IntPtr*, long, byte*, long, IntPtr>)&Invoke, _id, input.Handle, p, handles.Length);
        }

        GC.KeepAlive(extras);
        return Tensor.Wrap(result, "checkpoint", input);
    }

    /// <summary>Unregisters the block; a pending backward through it then fails.</summary>
    public void Dispose() => s_registry.TryRemove(_id, out _);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static IntPtr Invoke(long state, IntPtr* inputs, long count, byte* error, long capacity)
    {
        try
        {
            if (!s_registry.TryGetValue(state, out var function))
                throw new ObjectDisposedException(nameof(CheckpointedFunction), "the checkpointed function was disposed before backward ran.");
            using var scope = new DisposeScope();
            var input = Tensor.WrapNew(NativeMethods.msft_tensor_alias(inputs[0]), "checkpoint input");
            var extras = new Tensor?[count - 1];
            for (var i = 1; i < count; i++)
            {
                extras[i - 1] = inputs[i] == IntPtr.Zero ? null : Tensor.WrapNew(NativeMethods.msft_tensor_alias(inputs[i]), "checkpoint input");
            }

            var output = function._block(input, extras);
            var handle = NativeMethods.msft_tensor_alias(output.Handle);
            if (handle == IntPtr.Zero) throw TorchException.FromNative("checkpoint output", output);
            return handle;
        }
        catch (Exception e)
        {
            var message = $"{e.GetType().Name}: {e.Message}";
            var bytes = Encoding.UTF8.GetBytes(message);
            var n = (int)Math.Min(bytes.Length, Math.Max(0, capacity - 1));
            bytes.AsSpan(0, n).CopyTo(new Span<byte>(error, n));
            if (capacity > 0) error[n] = 0;
            return IntPtr.Zero;
        }
    }
}
