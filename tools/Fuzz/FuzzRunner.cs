// Runs N seeded inputs of a target: copy the seed folder, mutate 1-3 files, read it through the product with a timeout,
// classify the end (accepted, rejected by a documented exception naming the file, or a finding) and keep the findings.
using System.Diagnostics;
using MaskedSft.Torch;

namespace MaskedSft.Tools.Fuzz;

/// <summary>The fuzz loop of one target.</summary>
public static class FuzzRunner
{
    /// <summary>Managed bytes one input may allocate before it counts as an unbounded allocation (the seeds are &lt; 1 MB).</summary>
    public const long AllocationLimit = 512L << 20;

    /// <summary>Runs inputs <paramref name="first"/> .. <paramref name="first"/> + <paramref name="inputs"/> - 1 of a target.</summary>
    /// <param name="target">The target.</param>
    /// <param name="inputs">How many inputs.</param>
    /// <param name="seed">The run's seed; (seed, target, index) fixes an input.</param>
    /// <param name="findingsDirectory">Where each finding's input folder and description are copied (null: nowhere).</param>
    /// <param name="first">The first input's index (a replay of one input passes its index and 1).</param>
    /// <param name="onResult">Called after every input.</param>
    /// <returns>The figures and findings.</returns>
    public static FuzzSummary Run(FuzzTarget target, int inputs, ulong seed, string? findingsDirectory = null, int first = 0, Action<FuzzResult>? onResult = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var watch = Stopwatch.StartNew();
        var summary = new FuzzSummary(target.Name);
        var work = Path.Combine(Path.GetTempPath(), $"msft-fuzz-{target.Name}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(work);
            target.Prepare(Path.Combine(work, "shared"));
            var seedFolder = Path.Combine(work, "seed");
            Directory.CreateDirectory(seedFolder);
            target.WriteSeed(seedFolder);
            var seedCopy = CopyFolder(seedFolder, Path.Combine(work, "seed-check"));
            target.Consume(seedCopy); // the unmutated seed must be accepted, or the harness is wrong
            for (int index = first; index < first + inputs; index++)
            {
                var result = RunOne(target, seed, index, seedFolder, work, findingsDirectory);
                summary.Add(result);
                onResult?.Invoke(result);
            }
        }
        finally
        {
            TryDelete(work);
        }

        summary.Elapsed = watch.Elapsed;
        return summary;
    }

    /// <summary>The random source of one input: a hash of the run's seed, the target's name and the input's index.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="target">The target's name.</param>
    /// <param name="index">The input's index.</param>
    /// <returns>A seeded <see cref="Random"/> (the seeded algorithm is stable across .NET versions).</returns>
    public static Random InputRandom(ulong seed, string target, int index)
    {
        ArgumentNullException.ThrowIfNull(target);
        ulong h = 14695981039346656037UL;
        foreach (char c in target) h = (h ^ c) * 1099511628211UL;
        ulong z = seed ^ h ^ ((ulong)index * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }

    private static FuzzResult RunOne(FuzzTarget target, ulong seed, int index, string seedFolder, string work, string? findingsDirectory)
    {
        var random = InputRandom(seed, target.Name, index);
        var input = CopyFolder(seedFolder, Path.Combine(work, $"input-{index}"));
        var mutations = new List<string>();
        var touched = new List<string>();
        int count = random.Next(4) == 0 ? random.Next(2, 4) : 1;
        for (int m = 0; m < count; m++)
        {
            var (file, kind) = target.Files[random.Next(target.Files.Count)];
            var path = Path.Combine(input, file);
            var bytes = FileMutator.Mutate(File.ReadAllBytes(path), kind, random, out var name);
            File.WriteAllBytes(path, bytes);
            mutations.Add($"{file}: {name}");
            touched.Add(file);
        }

        var (outcome, detail, ms, error) = Evaluate(target, input);
        var result = new FuzzResult(target.Name, index, string.Join(", ", touched.Distinct()), mutations, outcome, detail, ms);
        if (outcome == FuzzOutcome.Finding && findingsDirectory is not null)
        {
            CopyFolder(input, Path.Combine(findingsDirectory, target.Name, $"input-{index}"));
            File.WriteAllText(Path.Combine(findingsDirectory, target.Name, $"input-{index}.txt"),
                $"target {target.Name}, input {index}\n{string.Join('\n', mutations)}\n{detail}\n\n{error}\n");
        }

        if (!detail.StartsWith("hang", StringComparison.Ordinal)) TryDelete(input);
        return result;
    }

    /// <summary>Reads one input folder through the target and classifies the end: accepted, rejected by a documented
    /// exception whose message names a file of the input, or a finding (undocumented exception, unnamed file, hang,
    /// allocation over <see cref="AllocationLimit"/>, native tensors left alive).</summary>
    /// <param name="target">The target (prepared).</param>
    /// <param name="input">The input folder.</param>
    /// <returns>The outcome, its detail, the milliseconds taken and the exception, if any.</returns>
    public static (FuzzOutcome Outcome, string Detail, double Milliseconds, Exception? Error) Evaluate(FuzzTarget target, string input)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        long liveBefore = TensorCounters.Live;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var watch = Stopwatch.StartNew();
        Exception? error = null;
        var task = Task.Factory.StartNew(() => target.Consume(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        bool finished = WaitQuietly(task, target.Timeout);
        double ms = watch.Elapsed.TotalMilliseconds;
        if (finished && task.Exception is { } aggregate) error = aggregate.InnerExceptions.Count == 1 ? aggregate.InnerException : aggregate;
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;

        FuzzOutcome outcome;
        string detail;
        if (!finished)
        {
            outcome = FuzzOutcome.Finding;
            detail = $"hang: still running after {target.Timeout.TotalSeconds:F0} s";
        }
        else if (allocated > AllocationLimit)
        {
            outcome = FuzzOutcome.Finding;
            detail = $"allocation: {allocated >> 20} MiB managed for one input{(error is null ? string.Empty : $" (then {error.GetType().Name})")}";
        }
        else if (error is null)
        {
            outcome = FuzzOutcome.Accepted;
            detail = "accepted";
        }
        else if (!target.IsDocumented(error))
        {
            outcome = FuzzOutcome.Finding;
            detail = $"undocumented {error.GetType().FullName}: {error.Message}";
        }
        else if (!NamesAFile(error.Message, input, target))
        {
            outcome = FuzzOutcome.Finding;
            detail = $"message names no file ({error.GetType().Name}): {error.Message}";
        }
        else
        {
            outcome = FuzzOutcome.Rejected;
            detail = error.GetType().Name;
        }

        if (outcome != FuzzOutcome.Finding && TensorCounters.Live != liveBefore && TensorCounters.SettledLive() > liveBefore)
        {
            outcome = FuzzOutcome.Finding;
            detail = $"native leak: {TensorCounters.Live - liveBefore} tensor(s) still alive after the input ({detail})";
        }

        return (outcome, detail, ms, error);
    }

    private static bool WaitQuietly(Task task, TimeSpan timeout)
    {
        try
        {
            return task.Wait(timeout);
        }
        catch (AggregateException)
        {
            return true;
        }
    }

    /// <summary>A message names its file when it holds the input folder's path or one of the file names in it.</summary>
    private static bool NamesAFile(string message, string folder, FuzzTarget target)
    {
        if (message.Contains(folder, StringComparison.Ordinal)) return true;
        foreach (var (file, _) in target.Files)
        {
            if (message.Contains(Path.GetFileName(file), StringComparison.Ordinal)) return true;
        }

        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any(f => message.Contains(Path.GetFileName(f), StringComparison.Ordinal));
    }

    /// <summary>Copies a folder tree (replacing the destination).</summary>
    /// <param name="source">The folder.</param>
    /// <param name="destination">The copy's path.</param>
    /// <returns><paramref name="destination"/>.</returns>
    public static string CopyFolder(string source, string destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        TryDelete(destination);
        Directory.CreateDirectory(destination);
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, dir)));
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)), overwrite: true);
        }

        return destination;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // An abandoned (hung) input may still hold a file; the temp folder is left for the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
