// Fuzz target: GPT-2's encoder.json + vocab.bpe pair (written from the Qwen2 fixture's vocabulary and merges).
using System.Text;
using System.Text.Json;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>encoder.json + vocab.bpe through <see cref="BpeTokenizer.FromGpt2Files"/>.</summary>
public sealed class Gpt2FilesTarget : FuzzTarget
{
    /// <inheritdoc/>
    public override string Name => "gpt2-files";

    /// <inheritdoc/>
    public override string Description => "GPT-2 encoder.json + vocab.bpe; load, encode and decode a sample";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } = [("encoder.json", FuzzFileKind.Json), ("vocab.bpe", FuzzFileKind.Text)];

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FuzzFixtures.HfModel("qwen2"), "tokenizer.json")));
        var model = doc.RootElement.GetProperty("model");
        File.WriteAllText(Path.Combine(folder, "encoder.json"), model.GetProperty("vocab").GetRawText());
        var bpe = new StringBuilder("#version: 0.2\n");
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            bpe.Append(merge.ValueKind == JsonValueKind.Array ? $"{merge[0].GetString()} {merge[1].GetString()}" : merge.GetString()).Append('\n');
        }

        File.WriteAllText(Path.Combine(folder, "vocab.bpe"), bpe.ToString());
    }

    /// <inheritdoc/>
    public override void Consume(string folder) =>
        TokenizerJsonTarget.Exercise(BpeTokenizer.FromGpt2Files(Path.Combine(folder, "encoder.json"), Path.Combine(folder, "vocab.bpe")));

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => exception is TokenizerFormatException;
}
