// EpisodePreparation called as a library: cancellation leaves nothing, progress reaches the end, Atropos needs no template.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tokenizers.Preparation;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class EpisodePreparationTests
{
    [TestMethod]
    public void Run_Cancelled_ThrowsAndLeavesNoDataset()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 2000).Select(i =>
            $$"""{"messages": [{"role": "user", "content": "q{{i}}"}, {"role": "assistant", "content": "a{{i}}"}]}"""));
        using var cancellation = new CancellationTokenSource();
        var progress = new CancelAfter(cancellation, lines: 512);
        var options = new PreparationOptions
        {
            InputPath = input,
            OutputPath = temp.Combine("out"),
            Tokenizer = TestTokenizers.Qwen3,
            Template = ChatTemplate.ChatMl,
        };

        Assert.ThrowsExactly<OperationCanceledException>(() => EpisodePreparation.Run(options, progress, cancellation.Token));

        Assert.IsGreaterThanOrEqualTo(512L, progress.LastLines);
        Assert.IsFalse(Directory.Exists(options.OutputPath));
        Assert.HasCount(1, Directory.EnumerateFileSystemEntries(temp.Path).ToList(), "only the input file remains");
    }

    [TestMethod]
    public void Run_AtroposWithGpt2AndDefaultTemplate_NeedsNoTemplateTokens()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("atropos.jsonl");
        File.WriteAllLines(input, ["""{"tokens": [[15496, 995, 50256]], "masks": [[-100, 995, 50256]], "scores": [0.5]}"""]);
        var recorder = new CancelAfter(null, lines: long.MaxValue);
        var options = new PreparationOptions
        {
            InputPath = input,
            OutputPath = temp.Combine("out"),
            Tokenizer = TestTokenizers.Gpt2,
            Template = ChatTemplate.ChatMl,
        };

        var stats = EpisodePreparation.Run(options, recorder);

        Assert.AreEqual(1, stats.AtroposEpisodes);
        Assert.AreEqual(2, stats.SupervisedTargets);
        Assert.AreEqual(stats.Targets, stats.SupervisedTargets);
        Assert.AreEqual(1, stats.AllSupervised, "every target trained is flagged by the mask audit");
        Assert.AreEqual(recorder.LastTotal, recorder.LastBytes, "the last progress report is at the end of the input");
        using var dataset = EpisodeDataset.Open(options.OutputPath);
        Assert.AreEqual(50257, dataset.VocabSize);
        Assert.AreEqual(50256, dataset.PadId, "GPT-2 has no pad token: eos is used");
    }

    /// <summary>Records progress and cancels once enough lines were read.</summary>
    private sealed class CancelAfter(CancellationTokenSource? source, long lines) : IProgress<PreparationProgress>
    {
        public long LastLines { get; private set; }

        public long LastBytes { get; private set; }

        public long LastTotal { get; private set; }

        public void Report(PreparationProgress value)
        {
            LastLines = value.Lines;
            LastBytes = value.BytesRead;
            LastTotal = value.TotalBytes;
            if (value.Lines >= lines)
            {
                source?.Cancel();
            }
        }
    }
}
