// `Reliability data --out DIR [--train N --validation N --seed S]` writes the bundled synthetic data (the kill trials train on it);
// `Reliability soak --out DIR [--steps 1000 --every 10 --warmup 100 --threads 1]` runs the memory soak.
using System.Globalization;
using MaskedSft.Tools.Reliability;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0 || args[0] is not ("data" or "soak"))
{
    Console.Error.WriteLine("usage: Reliability data --out DIR [--train 2000] [--validation 200] [--seed 1234]\n       Reliability soak --out DIR [--steps 1000] [--every 10] [--warmup 100] [--threads 1]");
    return 2;
}

var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i + 1 < args.Length; i += 2) values[args[i]] = args[i + 1];
int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
string output = values.TryGetValue("--out", out var o) ? o : throw new ArgumentException("--out DIR is required");
if (args[0] == "data")
{
    SyntheticData.Write(output, Int("--train", 2000), Int("--validation", 200), Int("--seed", 1234));
    Console.WriteLine($"data: {Path.GetFullPath(output)}");
    return 0;
}

return Soak.Run(output, Int("--steps", 1000), Int("--every", 10), Int("--warmup", 100), Int("--threads", 1));
