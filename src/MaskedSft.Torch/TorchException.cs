// The exception raised when a libtorch operation fails: carries the native message, the operation and operand shapes.
namespace MaskedSft.Torch;

/// <summary>
/// A libtorch operation failed (bad shapes, dtypes or indices, a missing device, ...). The message names the managed
/// operation, describes its tensor operands and quotes the native error.
/// </summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public TorchException()
        : this("a libtorch operation failed")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public TorchException(string message)
        : base(message)
    {
        Operation = string.Empty;
        NativeMessage = message;
        Operands = string.Empty;
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TorchException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = string.Empty;
        NativeMessage = message;
        Operands = string.Empty;
    }

    /// <summary>Creates an exception for a failed operation.</summary>
    /// <param name="operation">The managed operation name, e.g. "matmul".</param>
    /// <param name="operands">A description of the operands, e.g. "[2, 3] Float32 cpu, [4, 5] Float32 cpu".</param>
    /// <param name="nativeMessage">The message of the native exception.</param>
    public TorchException(string operation, string operands, string nativeMessage)
        : base(Format(operation, operands, nativeMessage))
    {
        Operation = operation;
        Operands = operands;
        NativeMessage = nativeMessage;
    }

    /// <summary>The managed operation that failed (e.g. "matmul"); empty when unknown.</summary>
    public string Operation { get; }

    /// <summary>A description of the operands' shapes, dtypes and devices; empty when there were none.</summary>
    public string Operands { get; }

    /// <summary>The message of the native (libtorch) exception.</summary>
    public string NativeMessage { get; }

    private static string Format(string operation, string operands, string nativeMessage) =>
        operands.Length == 0
            ? $"{operation} failed: {nativeMessage}"
            : $"{operation} failed for {operands}: {nativeMessage}";

    /// <summary>Builds the exception for the last native error of this thread.</summary>
    internal static TorchException FromNative(string operation, params ReadOnlySpan<Tensor?> operands)
    {
        var native = NativeMethods.TakeLastError();
        var parts = new List<string>(operands.Length);
        foreach (var t in operands)
        {
            if (t is not null)
            {
                parts.Add(t.Describe());
            }
        }

        return new TorchException(operation, string.Join(", ", parts), native);
    }
}
