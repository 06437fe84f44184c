// Constants of the safetensors file layout shared by the writer and the reader.
namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Layout of a safetensors file: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON (padded with
/// spaces so that the data section starts at a multiple of <see cref="Alignment"/>), then the data section. The JSON maps
/// each tensor name to <c>{"dtype": code, "shape": [..], "data_offsets": [begin, end]}</c> with offsets relative to the
/// start of the data section, plus an optional <c>"__metadata__"</c> object of string values. The tensors cover the data
/// section exactly: sorted by offset they are contiguous, start at 0 and end at the end of the file.
/// </summary>
public static class SafetensorsFormat
{
    /// <summary>Size of the little-endian header-length prefix in bytes.</summary>
    public const int PrefixLength = 8;

    /// <summary>Largest header this library accepts, in bytes (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The writer pads the header with spaces so that the data section starts at a multiple of this.</summary>
    public const int Alignment = 8;

    /// <summary>The reserved header key of the string-to-string metadata map.</summary>
    public const string MetadataKey = "__metadata__";
}
