// Streams a tensor's elements as contiguous little-endian bytes in bounded chunks (any device, any size, any layout).
using System.Buffers;

namespace MaskedSft.Torch.Safetensors;

/// <summary>Writes a tensor's bytes in row-major order to a stream, a bounded chunk at a time (never a whole-tensor host buffer).</summary>
internal static class TensorByteStream
{
    /// <summary>Bytes copied to the host per chunk.</summary>
    internal const int ChunkBytes = 64 << 20;

    /// <summary>Writes all elements of <paramref name="tensor"/> as raw bytes to <paramref name="destination"/>.</summary>
    /// <param name="tensor">The tensor (any device; non-contiguous tensors are made contiguous first).</param>
    /// <param name="destination">Where to write product(shape) × element size bytes.</param>
    /// <param name="chunkBytes">Bytes per host chunk.</param>
    public static void Write(Tensor tensor, Stream destination, int chunkBytes = ChunkBytes)
    {
        var elementSize = tensor.DType.ElementSize();
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var flat = tensor.Detach().Reshape(-1); // (N), a view when the tensor is contiguous
        long count = flat.NumberOfElements;
        if (count == 0)
        {
            return;
        }

        long perChunk = Math.Max(1, chunkBytes / elementSize);
        var buffer = ArrayPool<byte>.Shared.Rent((int)(Math.Min(count, perChunk) * elementSize));
        try
        {
            for (long start = 0; start < count; start += perChunk)
            {
                long length = Math.Min(perChunk, count - start);
                var bytes = buffer.AsSpan(0, (int)(length * elementSize));
                using (var part = flat.Narrow(0, start, length)) // (length)
                {
                    part.CopyToBytes(bytes);
                }

                destination.Write(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
