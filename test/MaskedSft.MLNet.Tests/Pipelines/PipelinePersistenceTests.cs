// The whole ML.NET pipeline (ApplyChatTemplate + LossMaskedSft) saved by one process and loaded by a fresh one: same outputs.
using System.Diagnostics;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Tokenizers;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
[DoNotParallelize]
public sealed class PipelinePersistenceTests
{
    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void ModelSaveLoad_FreshProcess_GivesTheSameTokensMasksAndLosses()
    {
        // src/Examples/ChatPipeline fits chats -> ApplyChatTemplate(GPT-2 files, a template file) -> LossMaskedSft, saves the
        // model zip and prints every row's token count, token hash, supervised count and loss (all digits); a second
        // process only loads the zip (mlContext.Model.Load) and prints the same for the same chats.
        using var temp = new TempDirectory();
        string tokenizer = Path.GetDirectoryName(TestTokenizers.Dir("gpt2", "encoder.json"))!;
        string template = Path.Combine(AppContext.BaseDirectory, "gpt2-chat-template.json");
        string chats = temp.Combine("chats.jsonl");
        string model = temp.Combine("model.zip");
        Run("chats", chats, "24");
        string trained = Run("train", chats, tokenizer, template, model, "6");
        string loaded = Run("score", model, chats);

        var expected = Rows(trained);
        Assert.HasCount(24, expected, trained);
        CollectionAssert.AreEqual(expected, Rows(loaded), $"the fresh process must print the same rows.\ntrain:\n{trained}\nscore:\n{loaded}");
        Assert.IsTrue(expected.All(r => r.Contains(" supervised=1", StringComparison.Ordinal) && !r.EndsWith("loss=NaN", StringComparison.Ordinal)), "every chat has supervised tokens and a loss");
        StringAssert.Contains(loaded, "loaded ");
        Assert.IsGreaterThan(10_000_000L, new FileInfo(model).Length, "the weights travel inside the zip");
    }

    private static List<string> Rows(string output) => [.. output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("row ", StringComparison.Ordinal))];

    private static string Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChatPipeline.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"ChatPipeline {string.Join(' ', args)} failed:\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}
