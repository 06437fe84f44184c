// Fuzz target: the JSONL input of `prepare` (OpenAI-style chat lines and Atropos scored-data lines) turned into an episode
// dataset with the tiny Qwen2 fixture tokenizer and the Qwen2.5 (ChatML) template, then the dataset opened and verified.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Preparation;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>chat JSONL through <see cref="EpisodePreparation.Run"/> (stop at the first bad line, and skip bad lines).</summary>
public sealed class ChatJsonlTarget : FuzzTarget
{
    private static readonly string[] Lines =
    [
        """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! caf\u00e9 \ud83d\ude00"}]}""",
        """{"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}, {"role": "user", "content": "and 3+3?"}, {"role": "assistant", "content": "6"}]}""",
        """{"messages": [{"role": "user", "content": "weather in \u4e16\u754c?"}, {"role": "assistant", "content": "<tool_call>{\"name\": \"get\"}</tool_call>"}, {"role": "user", "content": "cold"}, {"role": "assistant", "content": "It is cold."}]}""",
        """{"tokens": [[1, 2, 3, 4, 5], [6, 7, 8]], "masks": [[-100, -100, 3, 4, 5], [-100, 7, 8]], "scores": [1.0, -0.5], "advantages": [[0.1, 0.2, 0.3, 0.4, 0.5], 0.7], "group_id": 3}""",
        """{"tokens": [[10, 11, 12]], "masks": [[-100, 11, 12]], "scores": [0.25]}""",
    ];

    private BpeTokenizer? _tokenizer;

    /// <inheritdoc/>
    public override string Name => "chat-jsonl";

    /// <inheritdoc/>
    public override string Description => "prepare's JSONL (chat and Atropos lines); EpisodePreparation.Run strict and with skipped bad lines, then the dataset verified";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } = [("chat.jsonl", FuzzFileKind.JsonLines)];

    /// <inheritdoc/>
    public override void Prepare(string scratch) =>
        _tokenizer = BpeTokenizer.FromTokenizerJson(Path.Combine(FuzzFixtures.HfModel("qwen2"), "tokenizer.json"));

    /// <inheritdoc/>
    public override void WriteSeed(string folder) => File.WriteAllLines(Path.Combine(folder, "chat.jsonl"), Lines);

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        var input = Path.Combine(folder, "chat.jsonl");
        foreach (bool skip in new[] { true, false })
        {
            var output = Path.Combine(folder, skip ? "out-skip" : "out");
            EpisodePreparation.Run(new PreparationOptions
            {
                InputPath = input, OutputPath = output, Tokenizer = _tokenizer!, Template = ChatTemplate.Qwen25, MaxLength = 40,
                ValidationFraction = 0.2, SkipBadLines = skip, Overwrite = true,
            });
            using var dataset = EpisodeDataset.Open(output);
            _ = dataset.ComputeStatistics();
        }
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => exception is PreparationLineException or InvalidDataException;
}
