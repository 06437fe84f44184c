// A write-only stream that forwards at most a fixed number of bytes to another stream and counts them.
namespace MaskedSft.Torch.Safetensors;

/// <summary>Hands a data callback of <see cref="SafetensorsWriter"/> a stream that refuses bytes beyond the tensor's length.</summary>
internal sealed class BoundedWriteStream(Stream inner, long limit, string tensorName, string pathForErrors) : Stream
{
    /// <summary>Bytes forwarded so far.</summary>
    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
        // The outer writer flushes the file.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Written + buffer.Length > limit)
        {
            throw new SafetensorsFormatException(pathForErrors, tensorName,
                $"the data callback wrote more than the tensor's {limit} bytes",
                "write product(shape) × element size bytes in the callback");
        }

        inner.Write(buffer);
        Written += buffer.Length;
    }
}
