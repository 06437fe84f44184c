// The weights of a model folder: one safetensors file or shards listed by an index, opened as one name -> tensor lookup.
namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// The tensors of a Hugging Face style weights folder opened for reading: a single <c>model.safetensors</c> or shards
/// listed by <c>model.safetensors.index.json</c> (its <c>weight_map</c>). Every file is memory-mapped and validated on
/// <see cref="Open"/>; reading a tensor copies it once, from the map straight into the tensor, so a model is never held
/// twice in host memory. Names are looked up across shards; a missing tensor names every file searched.
/// </summary>
/// <example>
/// <code>
/// using var weights = SafetensorsWeights.Open(modelDirectory);      // model.safetensors or the sharded index
/// foreach (var (name, parameter) in model.NamedParameters())
///     weights.ReadInto(name, parameter, convertDType: true);         // e.g. BF16 on disk into Float32 parameters
/// using var embed = weights.ReadTensor("model.embed_tokens.weight", Device.Cpu, ScalarType.Float32);
/// </code>
/// </example>
public sealed class SafetensorsWeights : IDisposable
{
    /// <summary>The single-file name Hugging Face uses for model weights (the index is this name + <c>.index.json</c>).</summary>
    public const string DefaultFileName = "model.safetensors";

    private readonly Dictionary<string, SafetensorsFile> _fileOf;
    private readonly List<SafetensorsFile> _files;
    private readonly string[] _filePaths;
    private bool _disposed;

    private SafetensorsWeights(string sourcePath, SafetensorsIndex? index, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileOf, List<string> names)
    {
        SourcePath = sourcePath;
        Index = index;
        _files = files;
        _fileOf = fileOf;
        _filePaths = files.Select(f => f.FilePath).ToArray();
        TensorNames = names.AsReadOnly();
        TotalBytes = names.Sum(n => fileOf[n].GetInfo(n).ByteLength);
    }

    /// <summary>The file that was opened: the single safetensors file or the index.</summary>
    public string SourcePath { get; }

    /// <summary>The index of a sharded checkpoint, or null for a single file.</summary>
    public SafetensorsIndex? Index { get; }

    /// <summary>The open files (one, or every shard in order of first appearance in the index).</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Every tensor name, in file order (single file) or weight_map order (sharded).</summary>
    public IReadOnlyList<string> TensorNames { get; }

    /// <summary>The sum of all tensors' data bytes.</summary>
    public long TotalBytes { get; }

    /// <summary>
    /// Opens the weights at <paramref name="path"/>: a folder (its <paramref name="fileName"/>, else its
    /// <paramref name="fileName"/><c>.index.json</c>, the order transformers uses), a <c>*.index.json</c> file, or a single
    /// safetensors file. Every file's header and the index are validated.
    /// </summary>
    /// <param name="path">A folder, an index file or a safetensors file.</param>
    /// <param name="fileName">The single-file name looked for in a folder (e.g. <c>adapter_model.safetensors</c>).</param>
    /// <returns>The open weights; dispose them to release the maps.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="FileNotFoundException">When the folder has neither file, or a shard the index names is missing.</exception>
    /// <exception cref="SafetensorsFormatException">When a file or the index is malformed, or the index maps a tensor to a shard
    /// that does not hold it.</exception>
    public static SafetensorsWeights Open(string path, string fileName = DefaultFileName)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(fileName);
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            var single = Path.Combine(fullPath, fileName);
            if (File.Exists(single))
            {
                return OpenSingle(single);
            }

            var indexPath = single + SafetensorsIndex.Suffix;
            if (File.Exists(indexPath))
            {
                return OpenSharded(indexPath);
            }

            throw new FileNotFoundException(
                $"folder '{fullPath}' has neither {fileName} nor {fileName}{SafetensorsIndex.Suffix} (it has: {Listing(fullPath)}). Hint: " +
                "weights must be safetensors (PyTorch .bin checkpoints are not read: re-save with save_pretrained(..., safe_serialization=True)); " +
                "pass the path of the .safetensors file itself if it has another name.", single);
        }

        return fullPath.EndsWith(SafetensorsIndex.Suffix, StringComparison.Ordinal) ? OpenSharded(fullPath) : OpenSingle(fullPath);
    }

    /// <summary>Whether a tensor named <paramref name="name"/> is stored.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Contains(string name) => _fileOf.ContainsKey(name);

    /// <summary>The file that holds tensor <paramref name="name"/> (for raw access or its metadata).</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The open file.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="SafetensorsTensorException">When no file holds it; the message lists the files searched.</exception>
    /// <exception cref="ObjectDisposedException">When the weights were disposed.</exception>
    public SafetensorsFile FileOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _fileOf.TryGetValue(name, out var file) ? file : throw SafetensorsTensorException.Missing(name, _filePaths, TensorNames);
    }

    /// <summary>The stored dtype, shape and byte range of tensor <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="SafetensorsTensorException">When no file holds it.</exception>
    /// <exception cref="ObjectDisposedException">When the weights were disposed.</exception>
    public SafetensorsTensorInfo GetInfo(string name) => FileOf(name).GetInfo(name);

    /// <summary>Reads tensor <paramref name="name"/> into a new tensor (see <see cref="SafetensorsFile.ReadTensor"/>).</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="device">Where to place it (CPU when null).</param>
    /// <param name="dtype">The element type of the result (the stored one when null).</param>
    /// <returns>A new tensor; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="SafetensorsTensorException">When no file holds it.</exception>
    /// <exception cref="NotSupportedException">When the stored dtype has no tensor element type.</exception>
    /// <exception cref="ObjectDisposedException">When the weights were disposed.</exception>
    public Tensor ReadTensor(string name, Device? device = null, ScalarType? dtype = null) => FileOf(name).ReadTensor(name, device, dtype);

    /// <summary>Copies tensor <paramref name="name"/> into <paramref name="destination"/> (see <see cref="SafetensorsFile.ReadInto"/>).</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">The tensor to overwrite (e.g. a parameter; any device).</param>
    /// <param name="convertDType">Convert the stored element type to the destination's when they differ.</param>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="SafetensorsTensorException">When no file holds it, or its shape or dtype does not fit.</exception>
    /// <exception cref="NotSupportedException">When the stored dtype has no tensor element type.</exception>
    /// <exception cref="ObjectDisposedException">When the weights were disposed.</exception>
    public void ReadInto(string name, Tensor destination, bool convertDType = false) => FileOf(name).ReadInto(name, destination, convertDType);

    /// <summary>Releases every file's map.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private static SafetensorsWeights OpenSingle(string path)
    {
        var file = SafetensorsFile.Open(path);
        var fileOf = file.Tensors.ToDictionary(t => t.Name, _ => file, StringComparer.Ordinal);
        return new SafetensorsWeights(file.FilePath, null, [file], fileOf, file.Tensors.Select(t => t.Name).ToList());
    }

    private static SafetensorsWeights OpenSharded(string indexPath)
    {
        var index = SafetensorsIndex.Read(indexPath);
        var folder = Path.GetDirectoryName(indexPath)!;
        var files = new List<SafetensorsFile>();
        try
        {
            var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var shard in index.ShardFileNames)
            {
                var shardPath = Path.Combine(folder, shard);
                if (!File.Exists(shardPath))
                {
                    var count = index.WeightMap.Values.Count(v => v == shard);
                    throw new FileNotFoundException(
                        $"safetensors index '{indexPath}' maps {count} tensor(s) to '{shard}', which does not exist in '{folder}' (it has: {Listing(folder)}). " +
                        "Hint: the download is incomplete; fetch every shard the index lists.", shardPath);
                }

                byName[shard] = SafetensorsFile.Open(shardPath);
                files.Add(byName[shard]);
            }

            var fileOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (name, shard) in index.WeightMap)
            {
                var file = byName[shard];
                if (!file.Contains(name))
                {
                    throw new SafetensorsFormatException(indexPath, name, $"the index maps the tensor to '{shard}', which does not hold it",
                        "the index and the shards come from different saves; re-download or re-save the checkpoint");
                }

                fileOf[name] = file;
            }

            return new SafetensorsWeights(indexPath, index, files, fileOf, index.WeightMap.Keys.ToList());
        }
        catch
        {
            foreach (var file in files)
            {
                file.Dispose();
            }

            throw;
        }
    }

    private static string Listing(string folder)
    {
        var names = Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(12).ToList();
        return names.Count == 0 ? "nothing" : string.Join(", ", names);
    }
}
