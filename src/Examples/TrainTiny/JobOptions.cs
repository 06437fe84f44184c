// Command-line options of the main job.
using System.Globalization;

namespace MaskedSft.Examples.TrainTiny;

/// <summary>Options: --out RUN --steps N --batch-size B --train N --validation N --seed S --threads T.</summary>
internal sealed record JobOptions(string Output, int Steps, int BatchSize, int TrainEpisodes, int ValidationEpisodes, int Seed, int Threads)
{
    public static JobOptions Parse(string[] args)
    {
        // One intra-op thread by default on small machines: for a model this size OpenMP's overhead and oversubscription
        // on a shared 2-core box cost more than the second thread gains.
        var o = new JobOptions("runs/main", 600, 32, 2000, 200, 1234, Environment.ProcessorCount <= 4 ? 1 : Environment.ProcessorCount / 2);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--out" => o with { Output = v },
                "--steps" => o with { Steps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--batch-size" => o with { BatchSize = int.Parse(v, CultureInfo.InvariantCulture) },
                "--train" => o with { TrainEpisodes = int.Parse(v, CultureInfo.InvariantCulture) },
                "--validation" => o with { ValidationEpisodes = int.Parse(v, CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(v, CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --out --steps --batch-size --train --validation --seed --threads"),
            };
        }

        return o;
    }
}
