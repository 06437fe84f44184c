// Fuzz target: a Hugging Face tokenizer.json loaded by our BPE, then used to encode and decode a sample.
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>tokenizer.json through <see cref="BpeTokenizer.FromTokenizerJson"/>, seeded with the tiny Qwen2 fixture's.</summary>
public sealed class TokenizerJsonTarget : FuzzTarget
{
    /// <summary>Text every accepted tokenizer encodes and decodes: ASCII, accents, CJK, emoji, an added token.</summary>
    public const string Sample = "Hello, world! caf\u00e9 \u4e16\u754c \U0001F600 <|im_end|>\n  x=1;";

    /// <inheritdoc/>
    public override string Name => "tokenizer-json";

    /// <inheritdoc/>
    public override string Description => "tokenizer.json (model, merges, added tokens, pre-tokenizer, normalizer); load, encode and decode a sample";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } = [("tokenizer.json", FuzzFileKind.Json)];

    /// <inheritdoc/>
    public override void WriteSeed(string folder) =>
        File.Copy(Path.Combine(FuzzFixtures.HfModel("qwen2"), "tokenizer.json"), Path.Combine(folder, "tokenizer.json"));

    /// <inheritdoc/>
    public override void Consume(string folder) => Exercise(BpeTokenizer.FromTokenizerJson(Path.Combine(folder, "tokenizer.json")));

    /// <summary>Encodes and decodes <see cref="Sample"/> and decodes every id of the vocabulary.</summary>
    /// <param name="tokenizer">An accepted tokenizer.</param>
    public static void Exercise(BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int[] ids = tokenizer.EncodeToIds(Sample);
        _ = tokenizer.Decode(ids);
        _ = tokenizer.DecodePieces(ids);
        _ = tokenizer.EncodeWithSpecialTokens("x");
        for (int id = 0; id < tokenizer.VocabularySize; id++)
        {
            if (tokenizer.IdToToken(id) is not null) _ = tokenizer.TokenToBytes(id);
        }
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => exception is TokenizerFormatException;
}
