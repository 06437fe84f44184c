// File access shared by the tokenizer readers: missing-file errors with a hint, JSON parsing errors with a location.
using System.Text.Json;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>Helpers of <see cref="HuggingFaceTokenizerReader"/> and <see cref="Gpt2TokenizerReader"/>.</summary>
internal static class TokenizerFileReading
{
    /// <summary>The hint given when a tokenizer file is missing.</summary>
    public const string MissingHint = "Run `bash scripts/setup.sh` to fetch the GPT-2 and Qwen3 tokenizer files into .cache/tokenizers/, "
        + "or pass the path of a Hugging Face tokenizer.json (or of a folder holding tokenizer.json, or encoder.json + vocab.bpe).";

    /// <summary>Reads a whole file, turning a missing file into a <see cref="FileNotFoundException"/> with a hint.</summary>
    public static byte[] ReadAllBytes(string path, string role)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The tokenizer file '{path}' ({role}) was not found. {MissingHint}", path);
        }

        return File.ReadAllBytes(path);
    }

    /// <summary>Parses JSON, turning a syntax error into a <see cref="TokenizerFormatException"/> naming line and byte.</summary>
    public static JsonDocument ParseJson(string path, byte[] bytes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is { } line ? $"line {line + 1}, byte {e.BytePositionInLine + 1}" : "the start";
            throw new TokenizerFormatException(path, where, $"the file is not valid JSON ({e.Message.Split(" Path:")[0].TrimEnd('.')}).", e);
        }

        if (IO.JsonText.FindUnreadableString(bytes, document.RootElement) is { } problem)
        {
            document.Dispose();
            int colon = problem.IndexOf(':', StringComparison.Ordinal);
            throw new TokenizerFormatException(path, problem[..colon], problem[(colon + 2)..] + ".");
        }

        return document;
    }

    /// <summary>Resolves a merge rule to the ids of its two parts and of the merged token.</summary>
    public static (int Left, int Right, int Merged) ResolveMerge(Dictionary<string, int> vocab, string left, string right, Func<TokenizerFormatException> at)
    {
        if (!vocab.TryGetValue(left, out int l))
        {
            throw WithProblem(at(), $"the merge names {JsonSerializer.Serialize(left)}, which is not in the vocabulary.");
        }

        if (!vocab.TryGetValue(right, out int r))
        {
            throw WithProblem(at(), $"the merge names {JsonSerializer.Serialize(right)}, which is not in the vocabulary.");
        }

        if (!vocab.TryGetValue(left + right, out int m))
        {
            throw WithProblem(at(), $"the merged token {JsonSerializer.Serialize(left + right)} is not in the vocabulary.");
        }

        return (l, r, m);
    }

    /// <summary>The tokenizer's short name: the name of the folder that holds its files.</summary>
    public static string NameOf(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        string name = folder is null ? string.Empty : Path.GetFileName(folder);
        return string.IsNullOrEmpty(name) ? Path.GetFileNameWithoutExtension(path) : name;
    }

    private static TokenizerFormatException WithProblem(TokenizerFormatException location, string problem) =>
        new(location.FilePath, location.Location, problem);
}
