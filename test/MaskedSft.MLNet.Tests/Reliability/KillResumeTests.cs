// The CI-sized kill trials (scripts/reliability/kill-trials.sh runs >= 20): `maskedsft train` in a child process is killed
// with SIGKILL right after a step is logged, while the checkpoint that follows is being written (the debug delay widens
// that window), then resumed; the result must equal the uninterrupted run bit for bit.
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MaskedSft.MLNet.Pipelines;

namespace MaskedSft.MLNet.Tests.Reliability;

[TestClass]
[DoNotParallelize]
public sealed class KillResumeTests
{
    private const int Steps = 6;

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "maskedsft.dll");

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public void KilledDuringCheckpointWrites_ResumeEqualsTheUninterruptedRun()
    {
        string root = Path.Combine(Path.GetTempPath(), "msft-kill-" + Guid.NewGuid().ToString("N"));
        try
        {
            string data = Path.Combine(root, "data");
            SyntheticChatCorpus.Create(1234).WriteDataset(data, 200, 20, overwrite: true);
            string reference = Path.Combine(root, "reference");
            Assert.AreEqual(0, Train(data, reference, killAfterStep: null, resume: false).ExitCode);

            foreach (int killAfter in new[] { 2, 4 })
            {
                string run = Path.Combine(root, $"trial-{killAfter}");
                var killed = Train(data, run, killAfterStep: killAfter, resume: false);
                Assert.IsTrue(killed.Killed, $"the run ended before step {killAfter} was logged:\n{killed.Output}");
                foreach (var step in Directory.GetDirectories(Path.Combine(run, "checkpoints"), "step-*"))
                {
                    Assert.IsTrue(File.Exists(Path.Combine(step, "trainer.json")), $"{step} is a half-written checkpoint");
                }

                var resumed = Train(data, run, killAfterStep: null, resume: true);
                Assert.AreEqual(0, resumed.ExitCode, resumed.Output);
                CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(reference, "model", "model.safetensors")), File.ReadAllBytes(Path.Combine(run, "model", "model.safetensors")),
                    $"weights after a kill after step {killAfter} and a resume");
                CollectionAssert.AreEqual(Metrics(reference), Metrics(run), "metrics.jsonl (every field but the throughput)");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static List<string> Metrics(string run) =>
        [.. File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(line =>
        {
            var o = JsonNode.Parse(line)!.AsObject();
            o.Remove("tokens_per_s");
            return o.ToJsonString();
        })];

    private static (int ExitCode, bool Killed, string Output) Train(string data, string run, int? killAfterStep, bool resume)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { CliDll, "train", "--data", data, "--out", run, "--preset", "tiny", "--steps", $"{Steps}", "--batch-size", "4", "--warmup", "1",
            "--checkpoint-interval", "1", "--log-interval", "1", "--eval-interval", "0", "--seed", "5", "--device", "cpu", "--threads", "1" })
        {
            start.ArgumentList.Add(a);
        }

        if (resume)
        {
            start.ArgumentList.Add("--resume");
            start.ArgumentList.Add(run);
        }

        start.Environment["MASKEDSFT_DEBUG_CHECKPOINT_DELAY_MS"] = "400";
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var stepLine = killAfterStep is { } k ? new Regex($"^step +{k}/", RegexOptions.CultureInvariant) : null;
        bool killed = false;
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lock (output) output.AppendLine(line);
            if (stepLine is not null && stepLine.IsMatch(line))
            {
                Thread.Sleep(100); // inside the 400 ms write window of the checkpoint of this step
                process.Kill(); // SIGKILL on Linux
                killed = true;
                break;
            }
        }

        process.WaitForExit();
        return (killed ? -9 : process.ExitCode, killed, output.ToString());
    }
}
