// `Fuzz --target T|all --inputs N --seed S [--findings DIR] [--replay INDEX] [--json FILE]`: the seeded fuzz harness.
using System.Globalization;
using System.Text.Json;
using MaskedSft.Tools.Fuzz;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string target = "all";
int inputs = 1000;
ulong seed = 1;
int first = 0;
string? findings = null;
string? json = null;
bool verbose = false;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--target": target = Next(); break;
        case "--inputs": inputs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--replay": first = int.Parse(Next(), CultureInfo.InvariantCulture); inputs = 1; verbose = true; break;
        case "--findings": findings = Next(); break;
        case "--json": json = Next(); break;
        case "--verbose": verbose = true; break;
        case "--list":
            foreach (var name in FuzzTargets.Names)
            {
                using var t = FuzzTargets.Create(name);
                Console.WriteLine($"{name,-20} {t.Description}");
            }

            return 0;
        default:
            Console.Error.WriteLine("usage: Fuzz --target NAME[,NAME]|all --inputs N (per target) --seed S [--findings DIR] [--json FILE] [--replay INDEX] [--verbose] [--list]");
            return 2;
    }
}

var names = target == "all" ? FuzzTargets.Names : target.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var summaries = new List<FuzzSummary>();
foreach (var name in names)
{
    using var t = FuzzTargets.Create(name);
    Console.WriteLine($"{name}: {t.Description}");
    var summary = FuzzRunner.Run(t, inputs, seed, findings, first, r =>
    {
        if (verbose || r.Outcome == FuzzOutcome.Finding)
        {
            Console.WriteLine($"  [{r.Index}] {r.Outcome}: {r.Detail} <- {string.Join("; ", r.Mutations)}");
        }
    });
    Console.WriteLine("  " + summary);
    summaries.Add(summary);
}

int total = summaries.Sum(s => s.Inputs);
int found = summaries.Sum(s => s.Findings.Count);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"total: {total} inputs, {summaries.Sum(s => s.Accepted)} accepted, {summaries.Sum(s => s.Rejected)} rejected, {found} findings, {summaries.Sum(s => s.Elapsed.TotalSeconds):F1} s (seed {seed})"));
if (json is not null)
{
    var report = summaries.Select(s => new
    {
        s.Target, s.Inputs, s.Accepted, s.Rejected, Findings = s.Findings.Count, Seconds = Math.Round(s.Elapsed.TotalSeconds, 1), SlowestMs = Math.Round(s.SlowestMilliseconds),
        s.RejectedBy, FindingDetails = s.Findings.Select(f => new { f.Index, f.Detail, f.Mutations }),
    });
    File.WriteAllText(json, JsonSerializer.Serialize(new { Seed = seed, Inputs = total, Targets = report }, new JsonSerializerOptions { WriteIndented = true }));
}

return found == 0 ? 0 : 1;
