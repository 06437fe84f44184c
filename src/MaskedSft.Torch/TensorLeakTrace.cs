// Opt-in record of where leaked tensors were created: the finalizer reports each forgotten tensor's creation stack.
using System.Collections.Concurrent;
using System.Diagnostics;

namespace MaskedSft.Torch;

/// <summary>
/// Finds the code that forgets to dispose tensors. While <see cref="Enabled"/> is true every new <see cref="Tensor"/>
/// remembers the stack that created it; when the finalizer has to free one (a leak, counted by
/// <see cref="TensorCounters.Finalized"/>), that stack is kept in <see cref="RecentLeaks"/>. Set the environment
/// variable <c>MASKEDSFT_TRACE_TENSOR_LEAKS=1</c> to turn it on from the start of a process (a test run, the CLI).
/// Capturing a stack costs microseconds per tensor: a diagnostic, not for training runs.
/// </summary>
public static class TensorLeakTrace
{
    /// <summary>How many leak reports <see cref="RecentLeaks"/> keeps (the oldest are dropped).</summary>
    public const int Capacity = 64;

    private static readonly ConcurrentQueue<string> s_leaks = new();

    /// <summary>Whether new tensors record their creation stack. Starts from MASKEDSFT_TRACE_TENSOR_LEAKS.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("MASKEDSFT_TRACE_TENSOR_LEAKS") is "1" or "true";

    /// <summary>The creation stacks of the latest tensors the finalizer freed (traced ones only), oldest first.</summary>
    public static IReadOnlyList<string> RecentLeaks => s_leaks.ToArray();

    /// <summary>Forgets the recorded leaks.</summary>
    public static void Clear() => s_leaks.Clear();

    /// <summary>The creation stack of a new tensor when tracing is on, otherwise null.</summary>
    internal static StackTrace? CaptureIfEnabled() => Enabled ? new StackTrace(fNeedFileInfo: true) : null;

    /// <summary>Records a leaked tensor's description and creation stack (from the first frame outside the tracer and
    /// the tensor constructors; inlining makes their number vary).</summary>
    internal static void Report(string tensor, StackTrace creation)
    {
        var frames = creation.GetFrames();
        int first = 0;
        while (first < frames.Length && frames[first].GetMethod() is { } method
               && (method.DeclaringType == typeof(TensorLeakTrace) || (method.IsConstructor && typeof(Tensor).IsAssignableFrom(method.DeclaringType))))
        {
            first++;
        }

        s_leaks.Enqueue($"{tensor} created at:{Environment.NewLine}{new StackTrace(frames[first..])}");
        while (s_leaks.Count > Capacity && s_leaks.TryDequeue(out _))
        {
        }
    }
}
