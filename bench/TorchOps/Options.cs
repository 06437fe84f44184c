// Command-line options of the TorchOps benchmark.
using System.Globalization;

namespace MaskedSft.Bench;

/// <summary>Options: device, tiny-op iterations per trial and trial count, big-op repetitions and sizes.</summary>
internal sealed record Options(string Device, int TinyIterations, int Trials, int BigReps, long Rows, long Hidden, long Vocab)
{
    /// <summary>Parses "--name value" pairs.</summary>
    public static Options Parse(string[] args)
    {
        var o = new Options("cpu", 40_000, 10, 2, 4096, 1024, 50304);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"option {args[i]} needs a value");
            }

            var v = args[i + 1];
            o = args[i] switch
            {
                "--device" => o with { Device = v },
                "--tiny-iterations" => o with { TinyIterations = int.Parse(v, CultureInfo.InvariantCulture) },
                "--trials" => o with { Trials = int.Parse(v, CultureInfo.InvariantCulture) },
                "--big-reps" => o with { BigReps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rows" => o with { Rows = long.Parse(v, CultureInfo.InvariantCulture) },
                "--hidden" => o with { Hidden = long.Parse(v, CultureInfo.InvariantCulture) },
                "--vocab" => o with { Vocab = long.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --device, --tiny-iterations, --trials, --big-reps, --rows, --hidden, --vocab"),
            };
        }

        return o;
    }
}
