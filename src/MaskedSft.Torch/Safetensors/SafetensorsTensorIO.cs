// Whole-file conveniences over the tensor bridge: save a dictionary of named tensors, load every tensor of a file.
namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Saves and loads dictionaries of named <see cref="Tensor"/>s as one safetensors file, so files open with Python's
/// <c>safetensors.torch.load_file</c> and its files load here. For one tensor at a time use
/// <see cref="SafetensorsFile.ReadTensor"/> / <see cref="SafetensorsFile.ReadInto"/> and <see cref="SafetensorsWriter.AddTensor"/>;
/// for model folders (sharded or not) use <see cref="SafetensorsWeights"/> and <see cref="SafetensorsShardedWriter"/>.
/// </summary>
public static class SafetensorsTensorIO
{
    /// <summary>Saves <paramref name="tensors"/> (and <paramref name="metadata"/>) to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The destination file.</param>
    /// <param name="tensors">Named tensors (any device, any supported element type).</param>
    /// <param name="metadata">Optional string metadata (<c>__metadata__</c>).</param>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> or <paramref name="tensors"/> is null.</exception>
    /// <exception cref="ArgumentException">When a name is empty or reserved.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a tensor's element type has no safetensors dtype.</exception>
    /// <exception cref="IOException">When the file system fails.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in tensors)
        {
            writer.AddTensor(name, tensor);
        }

        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                writer.SetMetadata(key, value);
            }
        }

        writer.Save(path);
    }

    /// <summary>Loads every tensor of <paramref name="path"/>; the caller owns (and disposes) the tensors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Where to place the tensors (CPU when null).</param>
    /// <returns>The tensors by name, in file order.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">When the file is malformed.</exception>
    /// <exception cref="NotSupportedException">When a tensor's dtype has no tensor element type.</exception>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null) => Load(path, out _, device);

    /// <summary>Loads every tensor of <paramref name="path"/> and its metadata; the caller owns the tensors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="metadata">The file's <c>__metadata__</c> map.</param>
    /// <param name="device">Where to place the tensors (CPU when null).</param>
    /// <returns>The tensors by name, in file order.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">When the file is malformed.</exception>
    /// <exception cref="NotSupportedException">When a tensor's dtype has no tensor element type.</exception>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata, Device? device = null)
    {
        using var file = SafetensorsFile.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in file.Tensors)
            {
                result[info.Name] = file.ReadTensor(info.Name, device);
            }
        }
        catch
        {
            foreach (var t in result.Values)
            {
                t.Dispose();
            }

            throw;
        }

        metadata = new Dictionary<string, string>(file.Metadata, StringComparer.Ordinal);
        return result;
    }
}
