// Microsoft.ML.Tokenizers.Tokenizer over our byte-level BPE: reads tokenizer.json or GPT-2's files, which ML.NET cannot.
using System.Buffers;
using System.Text;
using MaskedSft.MLNet.Tokenizers;
using Microsoft.ML.Tokenizers;
using BpeTokenizer = MaskedSft.MLNet.Tokenizers.BpeTokenizer;
using TokenizerFormatException = MaskedSft.MLNet.Tokenizers.TokenizerFormatException;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// An ML.NET <see cref="Tokenizer"/> that reads Hugging Face <c>tokenizer.json</c> files (byte-level BPE: GPT-2, Qwen2/Qwen3,
/// Llama 3 families) and GPT-2's <c>encoder.json</c> + <c>vocab.bpe</c>, and gives the same ids as Hugging Face's
/// <c>tokenizers</c> (it is an adapter over <see cref="BpeTokenizer"/>). ML.NET's own tokenizers cannot read tokenizer.json
/// (dotnet/machinelearning issue 7286); this one can be used wherever ML.NET takes a <see cref="Tokenizer"/>.
/// </summary>
/// <remarks>
/// <para>Added and special tokens written in the text are matched as single tokens. The tokenizer's own normalizer (NFC for
/// files that ask for it) and pre-tokenizer always run: <see cref="Tokenizer.Normalizer"/> and
/// <see cref="Tokenizer.PreTokenizer"/> are null and the <c>considerNormalization</c> / <c>considerPreTokenization</c>
/// flags of the encode methods are ignored.</para>
/// <para>Offsets of <see cref="EncodedToken"/>s are character ranges of the text (or of <c>normalizedText</c>, which is set
/// only when normalization changed the text). A character whose UTF-8 bytes are spread over several tokens belongs to
/// the token holding its first byte; the following tokens of that character get an empty range. Limits on the token count
/// never cut inside a character.</para>
/// <para>Instances are immutable and safe to share between threads.</para>
/// </remarks>
public sealed class HuggingFaceTokenizer : Tokenizer
{
    private HuggingFaceTokenizer(BpeTokenizer bpe, IReadOnlyList<string> sourceFiles)
    {
        Bpe = bpe;
        SourceFiles = sourceFiles;
    }

    /// <summary>The underlying BPE tokenizer.</summary>
    public BpeTokenizer Bpe { get; }

    /// <summary>The files the tokenizer was read from (tokenizer.json and, when present, tokenizer_config.json; or
    /// encoder.json and vocab.bpe). Saving a pipeline stores their bytes in the model file.</summary>
    public IReadOnlyList<string> SourceFiles { get; }

    /// <summary>Short name: the folder that holds the files (e.g. <c>qwen3</c>).</summary>
    public string Name => Bpe.Name;

    /// <summary><c>sha256:</c> and the hex SHA-256 of the main file, as recorded in episode datasets.</summary>
    public string Fingerprint => Bpe.Fingerprint;

    /// <summary>One more than the largest id: every id is in [0, VocabularySize).</summary>
    public int VocabularySize => Bpe.VocabularySize;

    /// <summary>Id of the end-of-sequence token, if the files name one.</summary>
    public int? EndOfSequenceId => Bpe.EndOfSequenceId;

    /// <summary>Id of the padding token, if the files name one.</summary>
    public int? PaddingId => Bpe.PaddingId;

    /// <inheritdoc />
    public override PreTokenizer? PreTokenizer => null;

    /// <inheritdoc />
    public override Normalizer? Normalizer => null;

    /// <summary>
    /// Loads a tokenizer from a <c>tokenizer.json</c> file (with the <c>tokenizer_config.json</c> beside it, for eos/bos/pad),
    /// GPT-2's <c>encoder.json</c> (with <c>vocab.bpe</c> beside it), or a folder holding either (tokenizer.json preferred).
    /// </summary>
    /// <param name="path">File or folder.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">No tokenizer file is at <paramref name="path"/>.</exception>
    /// <exception cref="TokenizerFormatException">A file is corrupt or uses an unsupported setting; the message names the
    /// file and the JSON path.</exception>
    public static HuggingFaceTokenizer FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            string json = Path.Combine(full, "tokenizer.json");
            string encoder = Path.Combine(full, "encoder.json");
            full = File.Exists(json) || !File.Exists(encoder) ? json : encoder;
        }

        string folder = Path.GetDirectoryName(full)!;
        if (string.Equals(Path.GetFileName(full), "encoder.json", StringComparison.OrdinalIgnoreCase))
        {
            string merges = Path.Combine(folder, "vocab.bpe");
            return new HuggingFaceTokenizer(BpeTokenizer.FromGpt2Files(full, merges), [full, merges]);
        }

        string config = Path.Combine(folder, "tokenizer_config.json");
        var bpe = BpeTokenizer.FromTokenizerJson(full);
        return new HuggingFaceTokenizer(bpe, File.Exists(config) ? [full, config] : [full]);
    }

    /// <summary>Encodes text to ids (special tokens in the text are matched), as <see cref="BpeTokenizer.EncodeToIds(ReadOnlySpan{char}, bool)"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="textSpan">The text when <paramref name="text"/> is null.</param>
    /// <param name="settings">The settings; only <see cref="EncodeSettings.MaxTokenCount"/> is used.</param>
    /// <returns>The ids, the normalized text when normalization changed it, and the characters they cover.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="EncodeSettings.MaxTokenCount"/> is not positive.</exception>
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxTokenCount, nameof(settings));
        ReadOnlySpan<char> input = text is null ? textSpan : text.AsSpan();
        int[] ids = Bpe.EncodeToIds(input);
        if (ids.Length <= settings.MaxTokenCount)
        {
            // Fast path: no offsets needed; normalizedText is only computed when the text is not already normalized.
            string? normalized = NormalizedTextOf(input, ids);
            return new EncodeResults<int> { Tokens = ids, NormalizedText = normalized, CharsConsumed = (normalized?.Length ?? input.Length) };
        }

        var layout = TokenLayout.Build(Bpe, input, ids);
        int count = layout.LongestCleanPrefix(settings.MaxTokenCount);
        return new EncodeResults<int> { Tokens = ids[..count], NormalizedText = layout.NormalizedText, CharsConsumed = layout.CharEndOf(count) };
    }

    /// <summary>Encodes text to tokens with their ids, token strings and character offsets.</summary>
    /// <param name="text">The text.</param>
    /// <param name="textSpan">The text when <paramref name="text"/> is null.</param>
    /// <param name="settings">The settings; only <see cref="EncodeSettings.MaxTokenCount"/> is used.</param>
    /// <returns>The tokens, the normalized text when normalization changed it, and the characters they cover.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="EncodeSettings.MaxTokenCount"/> is not positive.</exception>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxTokenCount, nameof(settings));
        ReadOnlySpan<char> input = text is null ? textSpan : text.AsSpan();
        int[] ids = Bpe.EncodeToIds(input);
        var layout = TokenLayout.Build(Bpe, input, ids);
        int count = layout.LongestCleanPrefix(settings.MaxTokenCount);
        var tokens = new EncodedToken[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = new EncodedToken(ids[i], Bpe.IdToToken(ids[i]) ?? string.Empty, new Range(layout.CharStartOf(i), layout.CharEndOf(i + 1)));
        }

        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = layout.NormalizedText, CharsConsumed = layout.CharEndOf(count) };
    }

    /// <summary>Counts the tokens of a text (at most <see cref="EncodeSettings.MaxTokenCount"/>, never cutting a character).</summary>
    /// <param name="text">The text.</param>
    /// <param name="textSpan">The text when <paramref name="text"/> is null.</param>
    /// <param name="settings">The settings; only <see cref="EncodeSettings.MaxTokenCount"/> is used.</param>
    /// <returns>The count.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="EncodeSettings.MaxTokenCount"/> is not positive.</exception>
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxTokenCount, nameof(settings));
        ReadOnlySpan<char> input = text is null ? textSpan : text.AsSpan();
        if (settings.MaxTokenCount == int.MaxValue)
        {
            return Bpe.CountTokens(input);
        }

        return EncodeToIds(text, textSpan, settings).Tokens.Count;
    }

    /// <summary>The character index up to which (or, from the end, from which) the text fits in a token budget.</summary>
    /// <param name="text">The text.</param>
    /// <param name="textSpan">The text when <paramref name="text"/> is null.</param>
    /// <param name="settings">The settings; <see cref="EncodeSettings.MaxTokenCount"/> is the budget.</param>
    /// <param name="fromEnd">Count from the end of the text.</param>
    /// <param name="normalizedText">The normalized text when normalization changed it, else null.</param>
    /// <param name="tokenCount">The tokens that fit.</param>
    /// <returns>From the start: the index just after the last character kept; from the end: the index of the first one kept.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="EncodeSettings.MaxTokenCount"/> is not positive.</exception>
    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, bool fromEnd, out string? normalizedText, out int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxTokenCount, nameof(settings));
        ReadOnlySpan<char> input = text is null ? textSpan : text.AsSpan();
        int[] ids = Bpe.EncodeToIds(input);
        var layout = TokenLayout.Build(Bpe, input, ids);
        normalizedText = layout.NormalizedText;
        if (!fromEnd)
        {
            tokenCount = layout.LongestCleanPrefix(settings.MaxTokenCount);
            return layout.CharEndOf(tokenCount);
        }

        tokenCount = layout.LongestCleanSuffix(settings.MaxTokenCount);
        return layout.CharStartOf(ids.Length - tokenCount);
    }

    /// <summary>Decodes ids to text (added tokens to their content; bytes that are not valid UTF-8 become U+FFFD).</summary>
    /// <param name="ids">The ids.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this tokenizer.</exception>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Bpe.Decode(ids as int[] ?? [.. ids]);
    }

    /// <summary>Decodes ids into a buffer, whole tokens only.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="destination">Receives the text.</param>
    /// <param name="idsConsumed">How many ids were decoded.</param>
    /// <param name="charsWritten">How many characters were written.</param>
    /// <returns><see cref="OperationStatus.Done"/>, or <see cref="OperationStatus.DestinationTooSmall"/> when not every id fit.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this tokenizer.</exception>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var decoder = Encoding.UTF8.GetDecoder();
        idsConsumed = 0;
        charsWritten = 0;
        Span<char> scratch = stackalloc char[1];
        foreach (int id in ids)
        {
            byte[] bytes = Bpe.TokenToBytes(id);
            int needed = decoder.GetCharCount(bytes, flush: false);
            if (charsWritten + needed > destination.Length)
            {
                return OperationStatus.DestinationTooSmall;
            }

            charsWritten += decoder.GetChars(bytes, destination[charsWritten..], flush: false);
            idsConsumed++;
        }

        // An incomplete UTF-8 sequence at the end becomes U+FFFD, as in Decode(IEnumerable<int>).
        int tail = decoder.GetCharCount([], flush: true);
        if (charsWritten + tail > destination.Length)
        {
            idsConsumed--;
            return OperationStatus.DestinationTooSmall;
        }

        charsWritten += decoder.GetChars([], destination[charsWritten..], flush: true);
        return OperationStatus.Done;
    }

    /// <summary>The text the ids spell when it differs from <paramref name="input"/> (normalization), else null.</summary>
    private string? NormalizedTextOf(ReadOnlySpan<char> input, int[] ids)
    {
        if (!Bpe.ChangesText)
        {
            return null;
        }

        string spelled = Bpe.Decode(ids);
        return input.SequenceEqual(spelled) ? null : spelled;
    }
}
