// Parses and validates the JSON header of a safetensors file against the size of its data section.
using System.Text.Json;
using System.Text.Unicode;

namespace MaskedSft.Torch.Safetensors;

/// <summary>Parses a header and checks every rule of <see cref="SafetensorsFormat"/>; all errors are <see cref="SafetensorsFormatException"/>.</summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>The parsed header: tensors sorted by data offset, and the metadata map.</summary>
    internal sealed record Result(List<SafetensorsTensorInfo> Tensors, Dictionary<string, string> Metadata);

    /// <summary>Parses <paramref name="header"/> (the N header bytes) of <paramref name="path"/>, whose data section has <paramref name="dataLength"/> bytes.</summary>
    internal static Result Parse(string path, ReadOnlyMemory<byte> header, long dataLength)
    {
        if (!Utf8.IsValid(header.Span))
        {
            throw new SafetensorsFormatException(path, null, $"the {header.Length}-byte header is not valid UTF-8",
                "the file is corrupted or not a safetensors file; re-copy or re-save it");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(path, null, $"the {header.Length}-byte header is not valid JSON ({ex.Message})",
                "the file is corrupted or not a safetensors file; re-save it with a safetensors writer", ex);
        }

        using (document)
        {
            try
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new SafetensorsFormatException(path, null, $"the header is a JSON {root.ValueKind}, not an object",
                        "a safetensors header maps tensor names to {dtype, shape, data_offsets}");
                }

                var tensors = new List<SafetensorsTensorInfo>();
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in root.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                    {
                        throw new SafetensorsFormatException(path, property.Name, "the name appears twice in the header",
                            "tensor names must be unique; the file was written by a broken writer");
                    }

                    if (property.Name == SafetensorsFormat.MetadataKey)
                    {
                        ParseMetadata(path, property.Value, metadata);
                        continue;
                    }

                    tensors.Add(ParseTensor(path, property.Name, property.Value, dataLength));
                }

                tensors.Sort(static (a, b) =>
                {
                    int c = a.DataBegin.CompareTo(b.DataBegin);
                    if (c != 0)
                    {
                        return c;
                    }

                    c = a.DataEnd.CompareTo(b.DataEnd);
                    return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
                });
                CheckCoverage(path, tensors, dataLength);
                return new Result(tensors, metadata);
            }
            catch (InvalidOperationException ex)
            {
                // System.Text.Json parses an escaped unpaired surrogate ("\ud800") but refuses to read it as a string.
                throw new SafetensorsFormatException(path, null, $"a name or string holds an unpaired surrogate escape (\\uD800-\\uDFFF) ({ex.Message})",
                    "the file is corrupted or not a safetensors file; re-save it with a safetensors writer", ex);
            }
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(path, null, $"\"{SafetensorsFormat.MetadataKey}\" is a JSON {value.ValueKind}, not an object",
                "metadata must be an object whose values are strings");
        }

        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafetensorsFormatException(path, null, $"metadata key '{entry.Name}' has a JSON {entry.Value.ValueKind} value, not a string",
                    "safetensors metadata values must be strings; encode numbers and objects as text");
            }

            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new SafetensorsFormatException(path, null, $"metadata key '{entry.Name}' appears twice",
                    "metadata keys must be unique; the file was written by a broken writer");
            }
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(path, name, $"the entry is a JSON {value.ValueKind}, not an object",
                "each tensor entry is {\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}");
        }

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new SafetensorsFormatException(path, name, "the entry has no string \"dtype\"",
                $"dtype must be one of {SafetensorsDTypeInfo.SupportedCodes}");
        }

        var code = dtypeElement.GetString();
        if (!SafetensorsDTypeInfo.TryParseHeaderCode(code, out var dtype))
        {
            throw new SafetensorsFormatException(path, name, $"unknown dtype \"{code}\"",
                $"supported dtypes are {SafetensorsDTypeInfo.SupportedCodes}; convert the tensor before saving");
        }

        var shape = ReadIntegers(path, name, value, "shape", expectedCount: -1);
        var offsets = ReadIntegers(path, name, value, "data_offsets", expectedCount: 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
        {
            throw new SafetensorsFormatException(path, name, $"data_offsets [{begin}, {end}] has begin after end",
                "data_offsets is [begin, end) relative to the data section; the header is corrupted");
        }

        long expectedBytes;
        try
        {
            expectedBytes = dtype.ElementSize();
            foreach (var d in shape)
            {
                expectedBytes = checked(expectedBytes * d);
            }
        }
        catch (OverflowException ex)
        {
            throw new SafetensorsFormatException(path, name, $"shape [{string.Join(", ", shape)}] overflows a 64-bit byte count",
                "the header is corrupted", ex);
        }

        if (end > dataLength)
        {
            throw new SafetensorsFormatException(path, name,
                $"data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes)",
                "the file is truncated (an interrupted copy or download?) or its header is corrupted; re-copy or re-save it");
        }

        if (end - begin != expectedBytes)
        {
            throw new SafetensorsFormatException(path, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes but dtype {code} with shape [{string.Join(", ", shape)}] needs {expectedBytes}",
                "shape, dtype and data_offsets disagree; the header is corrupted");
        }

        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(string path, string name, JsonElement entry, string field, int expectedCount)
    {
        if (!entry.TryGetProperty(field, out var element) || element.ValueKind != JsonValueKind.Array)
        {
            throw new SafetensorsFormatException(path, name, $"the entry has no \"{field}\" array",
                "each tensor entry is {\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}");
        }

        int count = element.GetArrayLength();
        if (expectedCount >= 0 && count != expectedCount)
        {
            throw new SafetensorsFormatException(path, name, $"\"{field}\" has {count} values, expected {expectedCount}",
                "data_offsets is [begin, end]; the header is corrupted");
        }

        var values = new long[count];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var v) || v < 0)
            {
                throw new SafetensorsFormatException(path, name, $"\"{field}\"[{i}] = {item.GetRawText()} is not a non-negative integer",
                    $"\"{field}\" holds non-negative integers; the header is corrupted");
            }

            values[i++] = v;
        }

        return values;
    }

    private static void CheckCoverage(string path, List<SafetensorsTensorInfo> sorted, long dataLength)
    {
        long previousEnd = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.DataBegin < previousEnd)
            {
                throw new SafetensorsFormatException(path, t.Name,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] overlap tensor '{previous!.Name}' at [{previous.DataBegin}, {previous.DataEnd}]",
                    "each byte of the data section belongs to one tensor; the header is corrupted");
            }

            if (t.DataBegin > previousEnd)
            {
                throw new SafetensorsFormatException(path, t.Name,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] leave the bytes [{previousEnd}, {t.DataBegin}) of the data section unassigned",
                    "tensors must cover the data section contiguously from offset 0; the header is corrupted");
            }

            previousEnd = t.DataEnd;
            previous = t;
        }

        if (previousEnd != dataLength)
        {
            throw new SafetensorsFormatException(path, null,
                $"the tensors cover {previousEnd} bytes but the data section has {dataLength}",
                "extra bytes after the last tensor: the file was appended to or its header is corrupted");
        }
    }
}
