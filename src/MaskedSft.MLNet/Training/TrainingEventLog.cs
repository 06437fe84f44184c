// A run's TensorBoard events: every logged step's scalars, every hard-example snapshot as text and thumbnails.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.TensorBoard;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Writes a run's TensorBoard event file under <c>{run}/tensorboard/</c> (<see cref="TrainerOptions.TensorBoard"/>):
/// for every logged step the scalars of its metrics.jsonl line (<see cref="StepMetricsScalars"/>, same names, same
/// steps), and for every hard-example snapshot a Markdown table (tag <see cref="SnapshotTag"/>) and the PNG thumbnails
/// of its top entries that have one (tags <c>hard_examples/thumbnail_00</c>, <c>_01</c>...). View with
/// <c>tensorboard --logdir {run}/tensorboard</c>.
/// </summary>
public sealed class TrainingEventLog : IDisposable
{
    /// <summary>The folder inside the run directory.</summary>
    public const string DirectoryName = "tensorboard";

    /// <summary>The text tag of hard-example snapshots.</summary>
    public const string SnapshotTag = "hard_examples/snapshot";

    /// <summary>The prefix of thumbnail image tags (followed by the entry's two-digit rank).</summary>
    public const string ThumbnailTagPrefix = "hard_examples/thumbnail_";

    /// <summary>Most thumbnails written per snapshot.</summary>
    public const int MaxThumbnails = 8;

    private readonly TensorBoardWriter _writer;

    /// <summary>Opens a new event file in the run's tensorboard/ folder. A fresh run (no <paramref name="resumedAfterStep"/>)
    /// first deletes the event files a previous run left there, as metrics.jsonl is truncated.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="resumedAfterStep">When resuming: the checkpoint's step (TensorBoard drops older events from the next step
    /// on); the earlier files are kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="runDirectory"/> is null.</exception>
    public TrainingEventLog(string runDirectory, long? resumedAfterStep = null)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        var folder = System.IO.Path.Combine(runDirectory, DirectoryName);
        if (resumedAfterStep is null && Directory.Exists(folder))
        {
            foreach (var old in TensorBoardReader.Files(folder)) File.Delete(old);
        }

        _writer = new TensorBoardWriter(folder, resumedAfterStep);
    }

    /// <summary>The event file.</summary>
    public string Path => _writer.Path;

    /// <summary>Writes a logged step's scalars (one event).</summary>
    /// <param name="metrics">The step's metrics.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    public void Write(StepMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _writer.Write(metrics.Step, StepMetricsScalars.Of(metrics).Select(s => new TensorBoardValue(s.Name, Scalar: (float)s.Value)).ToList());
    }

    /// <summary>Writes a hard-example snapshot: its Markdown table and its top entries' thumbnails (one event).</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <exception cref="ArgumentNullException"><paramref name="snapshot"/> is null.</exception>
    public void Write(HardExamplePayload snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var values = new List<TensorBoardValue>
        {
            new(SnapshotTag, Text: HardExampleListing.Summary(snapshot) + ".\n\n" + HardExampleListing.MarkdownTable(snapshot)),
        };
        for (var i = 0; i < Math.Min(MaxThumbnails, snapshot.Entries.Count); i++)
        {
            if (snapshot.Entries[i].ThumbnailPng is { } png) values.Add(new TensorBoardValue(ThumbnailTag(i), Image: TensorBoardImage.FromPng(png)));
        }

        _writer.Write(snapshot.Step, values);
    }

    /// <summary>The image tag of the entry at <paramref name="rank"/> (0 = hardest).</summary>
    /// <param name="rank">The entry's position in the snapshot.</param>
    /// <returns>The tag.</returns>
    public static string ThumbnailTag(int rank) => ThumbnailTagPrefix + rank.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
