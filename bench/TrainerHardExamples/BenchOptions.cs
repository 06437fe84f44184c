// Command-line options of bench/TrainerHardExamples.
using System.Globalization;

namespace MaskedSft.Bench.TrainerHardExamples;

/// <summary>Command-line options of the benchmark.</summary>
/// <param name="Sizes">Models as (layers, width, heads).</param>
/// <param name="Vocab">Vocabulary size of the model and of the synthetic data.</param>
/// <param name="Batch">Rows per micro-batch (B).</param>
/// <param name="Sequence">Positions per row (T); every episode has T + 1 tokens, so every row is full.</param>
/// <param name="Episodes">Training episodes in the synthetic dataset (keys repeat once an epoch is done).</param>
/// <param name="Warmup">Steps per trainer run before measuring (not timed).</param>
/// <param name="Steps">Timed steps per configuration and round.</param>
/// <param name="Rounds">Interleaved rounds of [C# off, C# on, PyTorch off, PyTorch on].</param>
/// <param name="Threads">libtorch intra-op threads on both sides.</param>
/// <param name="Capacity">K of the tracker.</param>
/// <param name="Quantile">High-loss quantile of the tracker.</param>
/// <param name="LogInterval">Tracker snapshot interval (and trainer metrics interval), in steps.</param>
/// <param name="ReplaySteps">Steps of the tracker replays (the run's steps, continued to a long run's steady state).</param>
/// <param name="Python">The Python interpreter of the reference (Debian's, with torch 1.13).</param>
internal sealed record BenchOptions(
    List<(int Layers, int Width, int Heads)> Sizes,
    int Vocab,
    int Batch,
    int Sequence,
    int Episodes,
    int Warmup,
    int Steps,
    int Rounds,
    int Threads,
    int Capacity,
    double Quantile,
    int LogInterval,
    int ReplaySteps,
    string Python)
{
    private const string Usage =
        "options: --sizes 3x128,2x64 --steps N --warmup N --rounds N --threads N --vocab V --batch B --seq T --episodes N " +
        "--capacity K --quantile Q --log-interval N --replay-steps N --python PATH";

    /// <summary>Parses <c>--name value</c> pairs over the defaults.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">An option is unknown or lacks its value.</exception>
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions([(3, 128, 4)], 50304, 8, 256, 256, 2, 3, 5, 1, 50, 0.9, 50, 1000, "/usr/bin/python3");
        if (args.Length % 2 != 0) throw new ArgumentException($"option {args[^1]} has no value; {Usage}");
        for (var i = 0; i < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--sizes" => o with { Sizes = v.Split(',').Select(ParseSize).ToList() },
                "--vocab" => o with { Vocab = Int(v) },
                "--batch" => o with { Batch = Int(v) },
                "--seq" => o with { Sequence = Int(v) },
                "--episodes" => o with { Episodes = Int(v) },
                "--warmup" => o with { Warmup = Int(v) },
                "--steps" => o with { Steps = Int(v) },
                "--rounds" => o with { Rounds = Int(v) },
                "--threads" => o with { Threads = Int(v) },
                "--capacity" => o with { Capacity = Int(v) },
                "--quantile" => o with { Quantile = double.Parse(v, CultureInfo.InvariantCulture) },
                "--log-interval" => o with { LogInterval = Int(v) },
                "--replay-steps" => o with { ReplaySteps = Int(v) },
                "--python" => o with { Python = v },
                _ => throw new ArgumentException($"unknown option {args[i]}; {Usage}"),
            };
        }

        if (o.Steps < 1 || o.Rounds < 1 || o.Warmup < 0 || o.Episodes < o.Batch)
            throw new ArgumentException($"--steps and --rounds must be >= 1, --warmup >= 0 and --episodes >= --batch; {Usage}");
        return o;
    }

    private static int Int(string v) => int.Parse(v, CultureInfo.InvariantCulture);

    private static (int, int, int) ParseSize(string s)
    {
        var parts = s.Split('x');
        if (parts.Length != 2) throw new ArgumentException($"size '{s}' is not LAYERSxWIDTH (e.g. 3x128)");
        int layers = Int(parts[0]), width = Int(parts[1]);
        return (layers, width, width % 6 == 0 && width >= 384 ? 6 : 4);
    }
}
