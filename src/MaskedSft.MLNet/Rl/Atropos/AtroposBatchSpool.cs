// Batches received from the server, written to disk before they are trained, so a restarted trainer trains them exactly once.
using System.IO.Compression;
using System.Text.Json;
using MaskedSft.Torch.IO;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>
/// <c>RUN/atropos/batches/step-NNNNNNNN.json.gz</c>: the groups of the batch trained at step N, written atomically as soon as
/// GET /batch returned them and before training. GET /batch dequeues on the server, so a batch received by a trainer that
/// then stops before its next checkpoint would otherwise be lost; a resumed trainer trains the spooled batches after its
/// checkpoint's step first, then asks the server for more.
/// </summary>
public sealed class AtroposBatchSpool
{
    private const string Prefix = "step-";
    private const string Suffix = ".json.gz";

    /// <summary>Opens (and creates) a spool folder.</summary>
    /// <param name="directory">The folder.</param>
    public AtroposBatchSpool(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The file of a step's batch.</summary>
    /// <param name="step">The 1-based step.</param>
    /// <returns>The path.</returns>
    public string PathOf(long step) => Path.Combine(Directory, $"{Prefix}{step:D8}{Suffix}");

    /// <summary>Writes a step's batch (atomically).</summary>
    /// <param name="step">The step that trains it.</param>
    /// <param name="groups">The groups.</param>
    public void Write(long step, IReadOnlyList<AtroposScoredData> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        AtomicFile.Write(PathOf(step), stream =>
        {
            using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
            JsonSerializer.Serialize(gzip, groups, AtroposJson.Options);
        });
    }

    /// <summary>Reads a step's batch, or null when none was spooled.</summary>
    /// <param name="step">The step.</param>
    /// <returns>The groups or null.</returns>
    /// <exception cref="InvalidDataException">The file is not a spooled batch.</exception>
    public IReadOnlyList<AtroposScoredData>? TryRead(long step)
    {
        var path = PathOf(step);
        if (!File.Exists(path)) return null;
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            return JsonSerializer.Deserialize<AtroposScoredData[]>(gzip, AtroposJson.Options) ?? throw new InvalidDataException($"{path}: the batch is null.");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{path}: not a spooled Atropos batch ({e.Message}). Hint: delete it to fetch a new batch from the server (that batch is then not trained).", e);
        }
    }

    /// <summary>The steps with a spooled batch, ascending.</summary>
    /// <returns>The steps.</returns>
    public IReadOnlyList<long> Steps() =>
        System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + Suffix)
            .Select(f => Path.GetFileName(f)[Prefix.Length..^Suffix.Length])
            .Select(s => long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1)
            .Where(n => n > 0)
            .Order()
            .ToList();

    /// <summary>Deletes the batches of steps up to <paramref name="step"/> (they are in a checkpoint).</summary>
    /// <param name="step">The checkpoint's step.</param>
    public void DeleteUpTo(long step)
    {
        foreach (var s in Steps().Where(s => s <= step)) File.Delete(PathOf(s));
    }
}
