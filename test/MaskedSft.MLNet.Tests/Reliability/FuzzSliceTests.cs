// The CI slice of the fuzz harness (tools/Fuzz): a few hundred seeded inputs over every target; each must end accepted or
// rejected with a documented exception naming its file. The full runs (>= 10,000 inputs) are in docs/reliability.md.
using System.Diagnostics;
using MaskedSft.Tools.Fuzz;

namespace MaskedSft.MLNet.Tests.Reliability;

[TestClass]
[DoNotParallelize]
public sealed class FuzzSliceTests
{
    private const ulong Seed = 20261202;
    private const int InputsPerTarget = 20;

    [TestMethod]
    public void EveryTarget_SeededSlice_NoFinding()
    {
        var watch = Stopwatch.StartNew();
        var lines = new List<string>();
        var findings = new List<string>();
        foreach (var name in FuzzTargets.Names)
        {
            using var target = FuzzTargets.Create(name);
            var summary = FuzzRunner.Run(target, InputsPerTarget, Seed);
            Assert.AreEqual(InputsPerTarget, summary.Inputs);
            lines.Add(summary.ToString());
            findings.AddRange(summary.Findings.Select(f => $"{f.Target} [{f.Index}] {f.Detail} <- {string.Join("; ", f.Mutations)}"));
        }

        Console.WriteLine(string.Join('\n', lines) + $"\n{watch.Elapsed.TotalSeconds:F1} s");
        Assert.IsEmpty(findings, "replay one with: dotnet tools/Fuzz/bin/Release/net10.0/Fuzz.dll --target T --seed 20261202 --replay INDEX\n" + string.Join('\n', findings));
    }

    [TestMethod]
    public void SameSeed_SameMutationsAndOutcomes()
    {
        using var first = FuzzTargets.Create("model-config");
        using var second = FuzzTargets.Create("model-config");
        var a = new List<FuzzResult>();
        var b = new List<FuzzResult>();
        FuzzRunner.Run(first, 12, Seed, onResult: a.Add);
        FuzzRunner.Run(second, 12, Seed, onResult: b.Add);
        CollectionAssert.AreEqual(a.Select(r => string.Join("; ", r.Mutations) + " => " + r.Outcome + " " + r.Detail).ToList(),
            b.Select(r => string.Join("; ", r.Mutations) + " => " + r.Outcome + " " + r.Detail).ToList());
        Assert.IsTrue(a.Any(r => r.Outcome == FuzzOutcome.Rejected), "the slice reaches the rejection paths");
    }

    [TestMethod]
    public void JsonMutator_ReachesEveryStructuralMutation()
    {
        byte[] seed = """{"a": {"b": [1, 2, 3]}, "c": "x", "d": 7}"""u8.ToArray();
        var names = new List<string>();
        for (int i = 0; i < 400; i++)
        {
            Assert.IsNotNull(JsonMutator.Mutate(seed, FuzzRunner.InputRandom(Seed, "json", i), out var name));
            names.Add(name);
        }

        foreach (var kind in new[] { "nesting", "remove", "negated", "1e400", "string of", "= null" })
        {
            Assert.IsTrue(names.Any(n => n.Contains(kind, StringComparison.Ordinal)), $"no '{kind}' mutation in 400 draws");
        }
    }
}
