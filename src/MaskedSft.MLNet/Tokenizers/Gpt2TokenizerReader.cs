// Reads GPT-2's original tokenizer files: encoder.json (token to id) and vocab.bpe (ranked merges).
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Builds the definition of GPT-2's tokenizer from encoder.json and vocab.bpe, matching Hugging Face's ByteLevel BPE built
/// from the same files (GPT-2 split regex, add_prefix_space false) with <c>&lt;|endoftext|&gt;</c> as a special token.
/// </summary>
internal static class Gpt2TokenizerReader
{
    /// <summary>GPT-2's end-of-text token, which is both its eos and bos.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Reads the two files.</summary>
    public static TokenizerDefinition Read(string encoderJsonPath, string vocabBpePath)
    {
        byte[] encoderBytes = TokenizerFileReading.ReadAllBytes(encoderJsonPath, "GPT-2 encoder.json");
        byte[] mergesBytes = TokenizerFileReading.ReadAllBytes(vocabBpePath, "GPT-2 vocab.bpe");
        using var document = TokenizerFileReading.ParseJson(encoderJsonPath, encoderBytes);
        var reader = new JsonFieldReader(encoderJsonPath);
        reader.ExpectKind(document.RootElement, "$", JsonValueKind.Object);

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw reader.Error($"$[{JsonSerializer.Serialize(entry.Name)}]", $"the id must be a non-negative integer, found {entry.Value.ValueKind}.");
            }

            vocab[entry.Name] = id;
        }

        var merges = new List<(int, int, int)>();
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(mergesBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new TokenizerFormatException(vocabBpePath, null, "the file is not valid UTF-8.", e);
        }

        int lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            string line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal))
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new TokenizerFormatException(vocabBpePath, $"line {lineNumber}", $"a merge must be two tokens separated by one space, found {JsonSerializer.Serialize(line)}.");
            }

            int at = lineNumber;
            merges.Add(TokenizerFileReading.ResolveMerge(vocab, line[..space], line[(space + 1)..],
                () => new TokenizerFormatException(vocabBpePath, $"line {at}", string.Empty)));
        }

        var added = new List<AddedToken>();
        if (vocab.TryGetValue(EndOfText, out int eot))
        {
            added.Add(new AddedToken(eot, EndOfText, Special: true));
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(encoderBytes);
        hash.AppendData(mergesBytes);
        return new TokenizerDefinition
        {
            Name = TokenizerFileReading.NameOf(encoderJsonPath),
            Fingerprint = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()),
            SourceFile = encoderJsonPath,
            Vocab = vocab,
            Merges = merges,
            AddedTokens = added,
            Pattern = SplitPattern.Gpt2,
            EosToken = added.Count > 0 ? EndOfText : null,
            BosToken = added.Count > 0 ? EndOfText : null,
        };
    }
}
