// Vectorized widening of stored token ids to int64 and of mask bytes to float32, the loader's hot path.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MaskedSft.MLNet.Data;

/// <summary>Element-type conversions between spans, vectorized with <see cref="Vector256"/> where the hardware has it.</summary>
internal static class SpanConversions
{
    /// <summary>Widens uint16 ids to int64: <c>destination[i] = source[i]</c>.</summary>
    /// <param name="source">The ids.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>.</param>
    public static void Widen(ReadOnlySpan<ushort> source, Span<long> destination)
    {
        RequireRoom(source.Length, destination.Length);

        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref Unsafe.As<long, ulong>(ref MemoryMarshal.GetReference(destination));
        var n = source.Length;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector256.LoadUnsafe(ref src, (nuint)i);
                var (lo, hi) = Vector256.Widen(v);
                var (a, b) = Vector256.Widen(lo);
                var (c, d) = Vector256.Widen(hi);
                a.StoreUnsafe(ref dst, (nuint)i);
                b.StoreUnsafe(ref dst, (nuint)i + 4);
                c.StoreUnsafe(ref dst, (nuint)i + 8);
                d.StoreUnsafe(ref dst, (nuint)i + 12);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
        }
    }

    /// <summary>Widens uint32 ids to int64: <c>destination[i] = source[i]</c>.</summary>
    /// <param name="source">The ids.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>.</param>
    public static void Widen(ReadOnlySpan<uint> source, Span<long> destination)
    {
        RequireRoom(source.Length, destination.Length);

        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref Unsafe.As<long, ulong>(ref MemoryMarshal.GetReference(destination));
        var n = source.Length;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var (a, b) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                a.StoreUnsafe(ref dst, (nuint)i);
                b.StoreUnsafe(ref dst, (nuint)i + 4);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
        }
    }

    /// <summary>Converts mask bytes to float32: <c>destination[i] = source[i]</c>.</summary>
    /// <param name="source">The mask bytes.</param>
    /// <param name="destination">At least as long as <paramref name="source"/>.</param>
    public static void ToSingle(ReadOnlySpan<byte> source, Span<float> destination)
    {
        RequireRoom(source.Length, destination.Length);

        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var n = source.Length;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 32; i += 32)
            {
                var v = Vector256.LoadUnsafe(ref src, (nuint)i);
                var (lo, hi) = Vector256.Widen(v);
                var (a, b) = Vector256.Widen(lo);
                var (c, d) = Vector256.Widen(hi);
                Vector256.ConvertToSingle(a.AsInt32()).StoreUnsafe(ref dst, (nuint)i);
                Vector256.ConvertToSingle(b.AsInt32()).StoreUnsafe(ref dst, (nuint)i + 8);
                Vector256.ConvertToSingle(c.AsInt32()).StoreUnsafe(ref dst, (nuint)i + 16);
                Vector256.ConvertToSingle(d.AsInt32()).StoreUnsafe(ref dst, (nuint)i + 24);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
        }
    }

    /// <summary>Throws unless the destination holds at least as many elements as the source.</summary>
    private static void RequireRoom(int sourceLength, int destinationLength)
    {
        if (destinationLength < sourceLength)
        {
            throw new ArgumentException($"destination holds {destinationLength} elements, source {sourceLength}.", "destination");
        }
    }
}
