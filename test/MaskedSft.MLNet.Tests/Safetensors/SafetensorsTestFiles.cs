// Helpers of the safetensors tests: a per-test temporary directory and a builder of hand-made (possibly corrupt) files.
using System.Buffers.Binary;
using System.Text;

namespace MaskedSft.MLNet.Tests.Safetensors;

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "maskedsft-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

/// <summary>Writes raw safetensors files from a header string and data bytes, for corruption tests.</summary>
internal static class RawSafetensors
{
    /// <summary>Writes prefix (header length, or <paramref name="declaredLength"/> if given) + header + data.</summary>
    public static void Write(string path, string headerJson, byte[] data, ulong? declaredLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        System.IO.File.WriteAllBytes(path, bytes);
    }

    /// <summary>Bytes 0, 1, 2, ... of the given length.</summary>
    public static byte[] Counting(int length) => Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
}
