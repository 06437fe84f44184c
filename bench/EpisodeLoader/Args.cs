// Command-line arguments of the EpisodeLoader benchmark.
using System.Globalization;

namespace MaskedSft.Bench.EpisodeLoader;

/// <summary>Parsed arguments: sizes, batch shape, time per measurement, data root, python, and the child's directory.</summary>
internal sealed record Args
{
    public IReadOnlyList<long> Sizes { get; init; } = [10_000_000, 100_000_000];

    public int BatchSize { get; init; } = 32;

    public int BlockSize { get; init; } = 1024;

    public double Seconds { get; init; } = 3;

    public string? Root { get; init; }

    public bool Keep { get; init; }

    public string Python { get; init; } = "/usr/bin/python3";

    public string? MeasureDirectory { get; init; }

    public static Args Parse(string[] args)
    {
        var result = new Args();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            result = args[i] switch
            {
                "--sizes" => result with { Sizes = Next().Split(',').Select(ParseSize).ToArray() },
                "--batch" => result with { BatchSize = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--block" => result with { BlockSize = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seconds" => result with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--root" => result with { Root = Next() },
                "--keep" => result with { Keep = true },
                "--python" => result with { Python = Next() },
                "--measure" => result with { MeasureDirectory = Next() },
                _ => throw new ArgumentException($"unknown argument {args[i]}; use --sizes 10M,100M --batch 32 --block 1024 --seconds 3 --root DIR --keep --python PATH"),
            };
        }

        return result;
    }

    private static long ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        var scale = t.EndsWith('M') ? 1_000_000L : t.EndsWith('K') ? 1_000L : 1L;
        return long.Parse(scale == 1 ? t : t[..^1], CultureInfo.InvariantCulture) * scale;
    }
}
