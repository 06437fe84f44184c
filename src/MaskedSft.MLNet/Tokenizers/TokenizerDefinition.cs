// Everything a BpeTokenizer is built from, as read from tokenizer.json or from GPT-2's encoder.json + vocab.bpe.
namespace MaskedSft.MLNet.Tokenizers;

/// <summary>The parsed content of a tokenizer's files, before the lookup structures are built.</summary>
internal sealed class TokenizerDefinition
{
    /// <summary>Short name (the folder of the files, e.g. <c>qwen3</c>).</summary>
    public required string Name { get; init; }

    /// <summary><c>sha256:</c> followed by the hex SHA-256 of the files' bytes, in order.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The main file (tokenizer.json or encoder.json), for error messages.</summary>
    public required string SourceFile { get; init; }

    /// <summary>Byte-level token string to id.</summary>
    public required Dictionary<string, int> Vocab { get; init; }

    /// <summary>Merge rules in rank order, as token ids.</summary>
    public required List<(int Left, int Right, int Merged)> Merges { get; init; }

    /// <summary>tokenizer.json's model.ignore_merges.</summary>
    public bool IgnoreMerges { get; init; }

    /// <summary>Added and special tokens.</summary>
    public required List<AddedToken> AddedTokens { get; init; }

    /// <summary>True when the normalizer is NFC.</summary>
    public bool NormalizeNfc { get; init; }

    /// <summary>The split regex of the pre-tokenizer.</summary>
    public SplitPattern Pattern { get; init; }

    /// <summary>ByteLevel's add_prefix_space (a space is put before text that does not start with one).</summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>Text of the end-of-sequence token, if the files name one.</summary>
    public string? EosToken { get; init; }

    /// <summary>Text of the beginning-of-sequence token, if the files name one.</summary>
    public string? BosToken { get; init; }

    /// <summary>Text of the padding token, if the files name one.</summary>
    public string? PadToken { get; init; }

    /// <summary>Ids the post-processor puts before an encoded text when special tokens are added (Llama 3's &lt;|begin_of_text|&gt;).</summary>
    public int[] SpecialPrefixIds { get; init; } = [];

    /// <summary>Ids the post-processor puts after an encoded text when special tokens are added.</summary>
    public int[] SpecialSuffixIds { get; init; } = [];

    /// <summary>The file that named the eos/bos/pad tokens (tokenizer_config.json), for error messages.</summary>
    public string? ConfigFile { get; init; }
}
