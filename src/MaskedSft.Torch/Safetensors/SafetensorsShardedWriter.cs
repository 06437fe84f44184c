// Writes named tensors as Hugging Face style weights: one model.safetensors, or shards of a maximum size plus an index.
using System.Globalization;
using System.Text.RegularExpressions;

namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Collects named tensors and writes them to a folder the way transformers' <c>save_pretrained</c> does, with shards of
/// at most <see cref="MaxShardBytes"/> of tensor data planned as huggingface_hub plans them (<see cref="PlanShards"/>;
/// a tensor larger than the limit gets a shard of its own); one shard is written as <c>model.safetensors</c>, several as
/// <c>model-00001-of-00003.safetensors</c>, ... plus <c>model.safetensors.index.json</c> (<c>metadata.total_size</c> and
/// <c>weight_map</c>). Every file is written atomically (the index last), and files of an earlier save under the same
/// name that this save does not replace are removed, so the folder never mixes two saves. Each shard's
/// <c>__metadata__</c> holds <c>{"format": "pt"}</c> (transformers requires it) plus <see cref="SetMetadata"/>'s entries.
/// </summary>
/// <example>
/// <code>
/// var writer = new SafetensorsShardedWriter(maxShardBytes: 2_000_000_000);
/// foreach (var (name, parameter) in model.NamedParameters()) writer.AddTensor(name, parameter);
/// var files = writer.Save(outputDirectory);   // model.safetensors, or shards + model.safetensors.index.json
/// </code>
/// </example>
public sealed class SafetensorsShardedWriter
{
    /// <summary>transformers' default maximum shard size ("5GB" = 5·10⁹ bytes).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    private readonly List<Entry> _entries = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal) { ["format"] = "pt" };

    /// <summary>Creates a writer.</summary>
    /// <param name="maxShardBytes">The most tensor data bytes per shard (larger single tensors get their own shard).</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxShardBytes"/> is not positive.</exception>
    public SafetensorsShardedWriter(long maxShardBytes = DefaultMaxShardBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        MaxShardBytes = maxShardBytes;
    }

    /// <summary>The most tensor data bytes per shard.</summary>
    public long MaxShardBytes { get; }

    /// <summary>Number of tensors added.</summary>
    public int Count => _entries.Count;

    /// <summary>The sum of the tensors' data bytes (the index's <c>metadata.total_size</c>).</summary>
    public long TotalBytes => _entries.Sum(e => e.ByteLength);

    /// <summary>Adds a tensor under its own element type; its bytes are copied when the shard holding it is written.</summary>
    /// <param name="name">Unique, non-empty tensor name.</param>
    /// <param name="tensor">The tensor (any device); it must stay alive and unchanged until <see cref="Save"/> returns.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentException">When the name is empty, reserved or taken.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the tensor's element type has no safetensors dtype.</exception>
    public SafetensorsShardedWriter AddTensor(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var dtype = tensor.DType.ToSafetensors();
        var shape = tensor.Shape;
        return Add(name, ByteLength(dtype, shape), writer => writer.AddTensor(name, tensor));
    }

    /// <summary>Adds a tensor given as raw little-endian bytes (any dtype, e.g. 8-bit floats passed through unchanged).</summary>
    /// <param name="name">Unique, non-empty tensor name.</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions; empty for a scalar.</param>
    /// <param name="data">Row-major bytes, product(shape) × element size of them; must stay unchanged until <see cref="Save"/> returns.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">When the name is empty, reserved or taken, or the data length does not match.</exception>
    public SafetensorsShardedWriter Add(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        var shapeCopy = shape.ToArray();
        var bytes = ByteLength(dtype, shape);
        if (bytes != data.Length)
        {
            throw new ArgumentException($"tensor '{name}' has {data.Length} bytes of data but its dtype and shape need {bytes}.", nameof(data));
        }

        return Add(name, bytes, writer => writer.AddWithoutCopy(name, dtype, shapeCopy, data));
    }

    /// <summary>Sets a <c>__metadata__</c> entry of every shard (<c>format</c> is <c>pt</c> unless set here).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    public SafetensorsShardedWriter SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>
    /// The shards the tensors go into (what <see cref="Save"/> writes), as huggingface_hub's
    /// <c>split_torch_state_dict_into_shards</c> plans them: tensors in the order added fill the current shard until the next
    /// one would push it past <see cref="MaxShardBytes"/>, which closes it; a tensor larger than the limit becomes a shard of
    /// its own at once (so it precedes the shard still being filled).
    /// </summary>
    /// <returns>One list of tensor names per shard, in file order; a single empty list when no tensor was added.</returns>
    public IReadOnlyList<IReadOnlyList<string>> PlanShards()
    {
        var shards = new List<IReadOnlyList<string>>();
        var current = new List<string>();
        long size = 0;
        foreach (var entry in _entries)
        {
            if (entry.ByteLength > MaxShardBytes)
            {
                shards.Add([entry.Name]);
                continue;
            }

            if (current.Count > 0 && size + entry.ByteLength > MaxShardBytes)
            {
                shards.Add(current);
                current = [];
                size = 0;
            }

            current.Add(entry.Name);
            size += entry.ByteLength;
        }

        if (current.Count > 0 || shards.Count == 0)
        {
            shards.Add(current);
        }

        return shards;
    }

    /// <summary>
    /// Writes the tensors into <paramref name="directory"/> (created if needed) as <paramref name="fileName"/>, or as shards
    /// named after it plus its index when they exceed <see cref="MaxShardBytes"/>; then removes that name's files of an
    /// earlier save that this one did not write.
    /// </summary>
    /// <param name="directory">The destination folder.</param>
    /// <param name="fileName">The single-file name (shards are <c>{stem}-00001-of-0000N.safetensors</c>).</param>
    /// <returns>The full paths written: the single file, or the shards and then the index.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentException">When <paramref name="fileName"/> does not end with <c>.safetensors</c>.</exception>
    /// <exception cref="IOException">When the file system fails (files already written stay; the index is written last).</exception>
    public IReadOnlyList<string> Save(string directory, string fileName = SafetensorsWeights.DefaultFileName)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(fileName);
        const string Extension = ".safetensors";
        if (!fileName.EndsWith(Extension, StringComparison.Ordinal) || fileName.Length == Extension.Length || fileName.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{fileName}' is not a plain file name ending with {Extension}.", nameof(fileName));
        }

        var folder = Path.GetFullPath(directory);
        Directory.CreateDirectory(folder);
        var stem = fileName[..^Extension.Length];
        var shards = PlanShards();
        var byName = _entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var written = new List<string>();
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < shards.Count; i++)
        {
            var shardName = shards.Count == 1
                ? fileName
                : string.Create(CultureInfo.InvariantCulture, $"{stem}-{i + 1:D5}-of-{shards.Count:D5}{Extension}");
            var writer = new SafetensorsWriter();
            foreach (var (key, value) in _metadata)
            {
                writer.SetMetadata(key, value);
            }

            foreach (var name in shards[i])
            {
                byName[name].AddTo(writer);
                weightMap[name] = shardName;
            }

            var path = Path.Combine(folder, shardName);
            writer.Save(path);
            written.Add(path);
        }

        var indexPath = Path.Combine(folder, fileName + SafetensorsIndex.Suffix);
        if (shards.Count > 1)
        {
            new SafetensorsIndex(weightMap, TotalBytes).Write(indexPath);
            written.Add(indexPath);
        }

        RemoveStale(folder, fileName, stem, indexPath, written);
        return written;
    }

    private static void RemoveStale(string folder, string fileName, string stem, string indexPath, List<string> written)
    {
        var shardPattern = new Regex("^" + Regex.Escape(stem) + @"-\d{5}-of-\d{5}\.safetensors$", RegexOptions.CultureInvariant);
        var keep = new HashSet<string>(written, StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(path);
            var ours = name == fileName || shardPattern.IsMatch(name) || path == indexPath;
            if (ours && !keep.Contains(path))
            {
                File.Delete(path);
            }
        }
    }

    private static long ByteLength(SafetensorsDType dtype, ReadOnlySpan<long> shape)
    {
        long bytes = dtype.ElementSize();
        foreach (var d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            bytes = checked(bytes * d);
        }

        return bytes;
    }

    private SafetensorsShardedWriter Add(string name, long byteLength, Action<SafetensorsWriter> addTo)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name == SafetensorsFormat.MetadataKey)
        {
            throw new ArgumentException($"'{name}' is not a valid tensor name (empty or reserved).", nameof(name));
        }

        if (!_names.Add(name))
        {
            throw new ArgumentException($"a tensor named '{name}' was already added; names must be unique.", nameof(name));
        }

        _entries.Add(new Entry(name, byteLength, addTo));
        return this;
    }

    /// <summary>A tensor to write: its name, data bytes and how to add it to a shard's writer.</summary>
    private sealed record Entry(string Name, long ByteLength, Action<SafetensorsWriter> AddTo);
}
