// Byte-level BPE tokenizer that reads Hugging Face tokenizer.json or GPT-2 files and encodes like Hugging Face `tokenizers`.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// A byte-level BPE tokenizer (GPT-2, Qwen2/Qwen3, Llama 3 families) that gives the same ids as Hugging Face's
/// <c>tokenizers</c> for the same files. Encoding runs, in order: added/special tokens found atomically in the raw text
/// (leftmost-longest, never split), the normalizer (NFC when tokenizer.json asks for it) on the text between them, the split
/// regex of the pre-tokenizer (hand-written scanners, see <see cref="SplitPattern"/>), UTF-8 bytes, and the ranked merges.
/// Frequent pre-tokens are served from a bounded cache. Instances are immutable and safe to share between threads.
/// </summary>
/// <remarks>
/// Encoding never adds BOS/EOS or other post-processor tokens (chat templates add what they need explicitly), and ignores
/// tokenizer.json's truncation and padding. <see cref="Decode"/> is the inverse of encoding for any valid Unicode text
/// (after NFC for tokenizers that normalize).
/// </remarks>
public sealed class BpeTokenizer : ITokenDecoder, Templates.IChatTokenEncoder
{
    /// <summary>Default number of pre-tokens kept in the word cache (per thread).</summary>
    public const int DefaultCacheCapacity = 65_536;

    private readonly BpeModel _model;
    private readonly RegexPreTokenizer _preTokenizer;
    private readonly AddedTokenMatcher? _rawMatcher;
    private readonly AddedTokenMatcher? _normalizedMatcher;
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private readonly BpeWordCache _cache;
    private readonly bool _normalizeNfc;
    private readonly bool _addPrefixSpace;

    private BpeTokenizer(TokenizerDefinition definition, int cacheCapacity)
    {
        string source = definition.SourceFile;
        _model = new BpeModel(definition.Vocab, definition.Merges, definition.IgnoreMerges,
            b => new TokenizerFormatException(source, null, $"the vocabulary has no token for the byte 0x{b:X2} ('{ByteLevelMapping.ByteToChar((byte)b)}'); a byte-level vocabulary must hold all 256."));
        _preTokenizer = new RegexPreTokenizer(definition.Pattern);
        _normalizeNfc = definition.NormalizeNfc;
        _addPrefixSpace = definition.AddPrefixSpace;
        _cache = new BpeWordCache(cacheCapacity);

        foreach (var token in definition.AddedTokens)
        {
            _addedById[token.Id] = token;
            _addedByContent[token.Content] = token;
        }

        AddedTokens = [.. _addedById.Values.OrderBy(t => t.Id)];
        var raw = AddedTokens.Where(t => !t.Normalized || !_normalizeNfc).ToList();
        var normalized = AddedTokens.Where(t => t.Normalized && _normalizeNfc).ToList();
        _rawMatcher = raw.Count > 0 ? new AddedTokenMatcher(raw) : null;
        _normalizedMatcher = normalized.Count > 0 ? new AddedTokenMatcher(normalized) : null;

        Name = definition.Name;
        Fingerprint = definition.Fingerprint;
        Pattern = definition.Pattern;
        VocabularySize = Math.Max(_model.MaxId, AddedTokens.Count == 0 ? -1 : AddedTokens.Max(t => t.Id)) + 1;
        EndOfSequenceId = Resolve(definition.EosToken, "eos_token", definition);
        BeginOfSequenceId = Resolve(definition.BosToken, "bos_token", definition);
        PaddingId = Resolve(definition.PadToken, "pad_token", definition);
        SpecialPrefixIds = definition.SpecialPrefixIds;
        SpecialSuffixIds = definition.SpecialSuffixIds;
    }

    /// <summary>Short name of the tokenizer: the folder that holds its files (e.g. <c>qwen3</c>).</summary>
    public string Name { get; }

    /// <summary><c>sha256:</c> and the hex SHA-256 of the tokenizer files, to record which tokenizer produced a dataset.</summary>
    public string Fingerprint { get; }

    /// <summary>The split regex of the pre-tokenizer.</summary>
    public SplitPattern Pattern { get; }

    /// <summary>One more than the largest id (vocabulary and added tokens): every id is in [0, VocabularySize).</summary>
    public int VocabularySize { get; }

    /// <summary>Added and special tokens, by id.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Id of the end-of-sequence token (tokenizer_config.json's eos_token; GPT-2's &lt;|endoftext|&gt;), if any.</summary>
    public int? EndOfSequenceId { get; }

    /// <summary>Id of the beginning-of-sequence token (tokenizer_config.json's bos_token), if any.</summary>
    public int? BeginOfSequenceId { get; }

    /// <summary>Id of the padding token (tokenizer_config.json's pad_token), if any.</summary>
    public int? PaddingId { get; }

    /// <summary>
    /// Loads a tokenizer from a path: a tokenizer.json file, GPT-2's encoder.json (with vocab.bpe beside it), or a folder
    /// holding either (tokenizer.json is preferred).
    /// </summary>
    /// <param name="path">File or folder.</param>
    /// <param name="cacheCapacity">Pre-tokens kept in the word cache (0 disables it).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cacheCapacity"/> is negative.</exception>
    /// <exception cref="FileNotFoundException">No tokenizer file is at <paramref name="path"/>.</exception>
    /// <exception cref="TokenizerFormatException">A file is corrupt or uses an unsupported setting.</exception>
    public static BpeTokenizer Load(string path, int cacheCapacity = DefaultCacheCapacity)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheCapacity);
        if (Directory.Exists(path))
        {
            string json = Path.Combine(path, "tokenizer.json");
            string encoder = Path.Combine(path, "encoder.json");
            if (File.Exists(json))
            {
                return FromTokenizerJson(json, cacheCapacity);
            }

            if (File.Exists(encoder))
            {
                return FromGpt2Files(encoder, Path.Combine(path, "vocab.bpe"), cacheCapacity);
            }

            throw new FileNotFoundException($"The folder '{path}' holds neither tokenizer.json nor encoder.json + vocab.bpe. {TokenizerFileReading.MissingHint}", json);
        }

        if (string.Equals(Path.GetFileName(path), "encoder.json", StringComparison.OrdinalIgnoreCase))
        {
            return FromGpt2Files(path, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "vocab.bpe"), cacheCapacity);
        }

        return FromTokenizerJson(path, cacheCapacity);
    }

    /// <summary>Loads a Hugging Face tokenizer.json (and the tokenizer_config.json beside it, for eos/bos/pad).</summary>
    /// <param name="tokenizerJsonPath">Path of tokenizer.json.</param>
    /// <param name="cacheCapacity">Pre-tokens kept in the word cache (0 disables it).</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokenizerJsonPath"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cacheCapacity"/> is negative.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TokenizerFormatException">The file is corrupt or uses an unsupported setting.</exception>
    public static BpeTokenizer FromTokenizerJson(string tokenizerJsonPath, int cacheCapacity = DefaultCacheCapacity)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheCapacity);
        return new BpeTokenizer(HuggingFaceTokenizerReader.Read(tokenizerJsonPath), cacheCapacity);
    }

    /// <summary>Loads GPT-2's encoder.json and vocab.bpe; &lt;|endoftext|&gt; is a special token and the eos/bos.</summary>
    /// <param name="encoderJsonPath">Path of encoder.json.</param>
    /// <param name="vocabBpePath">Path of vocab.bpe.</param>
    /// <param name="cacheCapacity">Pre-tokens kept in the word cache (0 disables it).</param>
    /// <exception cref="ArgumentNullException">A path is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cacheCapacity"/> is negative.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="TokenizerFormatException">A file is corrupt.</exception>
    public static BpeTokenizer FromGpt2Files(string encoderJsonPath, string vocabBpePath, int cacheCapacity = DefaultCacheCapacity)
    {
        ArgumentNullException.ThrowIfNull(encoderJsonPath);
        ArgumentNullException.ThrowIfNull(vocabBpePath);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheCapacity);
        return new BpeTokenizer(Gpt2TokenizerReader.Read(encoderJsonPath, vocabBpePath), cacheCapacity);
    }

    /// <summary>Ids tokenizer.json's post-processor puts before a text when special tokens are added (Llama 3's
    /// &lt;|begin_of_text|&gt;); empty for most tokenizers.</summary>
    public IReadOnlyList<int> SpecialPrefixIds { get; }

    /// <summary>Ids tokenizer.json's post-processor puts after a text when special tokens are added.</summary>
    public IReadOnlyList<int> SpecialSuffixIds { get; }

    /// <summary>Encodes <paramref name="text"/> as transformers' <c>tokenizer(text)</c> does (<c>add_special_tokens=True</c>):
    /// <see cref="SpecialPrefixIds"/>, the text's ids (special tokens in the text matched), <see cref="SpecialSuffixIds"/>.</summary>
    /// <param name="text">Any text.</param>
    /// <returns>The ids, in order.</returns>
    public int[] EncodeWithSpecialTokens(ReadOnlySpan<char> text)
    {
        var ids = new List<int>(SpecialPrefixIds);
        EncodeToIds(text, ids);
        ids.AddRange(SpecialSuffixIds);
        return [.. ids];
    }

    /// <summary>Encodes <paramref name="text"/> into token ids.</summary>
    /// <param name="text">Any text.</param>
    /// <param name="allowSpecialTokens">
    /// When false, special tokens (<see cref="AddedToken.Special"/>) written in the text are encoded as ordinary text;
    /// non-special added tokens (such as Qwen3's &lt;think&gt;) are still matched.
    /// </param>
    /// <returns>The ids, in order.</returns>
    public int[] EncodeToIds(ReadOnlySpan<char> text, bool allowSpecialTokens = true)
    {
        var sink = new ListSink(new List<int>(text.Length / 3 + 4));
        Encode(text, allowSpecialTokens, ref sink);
        return [.. sink.Ids];
    }

    /// <summary>Encodes <paramref name="text"/> and appends the ids to <paramref name="destination"/>.</summary>
    /// <param name="text">Any text.</param>
    /// <param name="destination">Receives the ids.</param>
    /// <param name="allowSpecialTokens">When false, special tokens in the text are encoded as ordinary text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    public void EncodeToIds(ReadOnlySpan<char> text, List<int> destination, bool allowSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var sink = new ListSink(destination);
        Encode(text, allowSpecialTokens, ref sink);
    }

    /// <summary>
    /// Encodes the concatenation of <paramref name="parts"/> as one text, except that added-token matching follows each
    /// part's own <c>AllowSpecial</c> flag: text of consecutive parts flows into the same pre-tokens and merges exactly as
    /// if the parts were one string, while special tokens are only recognized inside parts that allow them. Chat templates
    /// use this to tokenize template text (special tokens on) and message contents (special tokens off) together.
    /// </summary>
    /// <param name="parts">Texts and whether special tokens are matched in each.</param>
    /// <param name="destination">Receives the ids.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public void EncodePartsToIds(IReadOnlyList<(string Text, bool AllowSpecial)> parts, List<int> destination)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(destination);
        var sink = new ListSink(destination);
        var pending = new StringBuilder();
        foreach (var (text, allowSpecial) in parts)
        {
            ArgumentNullException.ThrowIfNull(text, nameof(parts));
            int position = 0;
            while (_rawMatcher is not null && _rawMatcher.TryFindNext(text, position, allowSpecial, out int start, out int end, out var token))
            {
                pending.Append(text, position, start - position);
                if (pending.Length > 0)
                {
                    EncodeSegment(pending.ToString(), allowSpecial, ref sink);
                    pending.Clear();
                }

                sink.Add(token!.Id);
                position = end;
            }

            pending.Append(text, position, text.Length - position);
        }

        if (pending.Length > 0)
        {
            EncodeSegment(pending.ToString(), true, ref sink);
        }
    }

    /// <summary>Number of tokens <see cref="EncodeToIds(ReadOnlySpan{char}, bool)"/> would return, without building them.</summary>
    /// <param name="text">Any text.</param>
    /// <param name="allowSpecialTokens">When false, special tokens in the text are encoded as ordinary text.</param>
    /// <returns>The token count.</returns>
    public int CountTokens(ReadOnlySpan<char> text, bool allowSpecialTokens = true)
    {
        var sink = new CountSink();
        Encode(text, allowSpecialTokens, ref sink);
        return sink.Count;
    }

    /// <summary>
    /// Decodes ids into text: the bytes of the tokens, read as UTF-8 (an incomplete or invalid sequence, as a slice in the
    /// middle of a character gives, becomes U+FFFD). Added tokens decode to their content.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">When true, special tokens are left out.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this tokenizer.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        Span<byte> scratch = stackalloc byte[4];
        foreach (int id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special))
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(added.Content));
                }

                continue;
            }

            string token = (uint)id < (uint)_model.IdToToken.Length ? _model.IdToToken[id] ?? throw UnknownId(id) : throw UnknownId(id);
            if (!ByteLevelMapping.TryAppendBytes(token, bytes))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }

        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The bytes a token stands for (UTF-8 of an added token's content); what <see cref="Decode"/> concatenates.</summary>
    /// <param name="id">Token id.</param>
    /// <returns>The bytes (a token may hold part of a multi-byte character).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a token of this tokenizer.</exception>
    public byte[] TokenToBytes(int id)
    {
        if (_addedById.TryGetValue(id, out var added))
        {
            return Encoding.UTF8.GetBytes(added.Content);
        }

        string token = (uint)id < (uint)_model.IdToToken.Length ? _model.IdToToken[id] ?? throw UnknownId(id) : throw UnknownId(id);
        var bytes = new List<byte>(token.Length);
        return ByteLevelMapping.TryAppendBytes(token, bytes) ? [.. bytes] : Encoding.UTF8.GetBytes(token);
    }

    /// <summary>
    /// Splits <paramref name="ids"/> into the shortest runs that each decode to whole characters (a character whose UTF-8
    /// bytes are spread over several tokens keeps those tokens together), for showing tokens one by one.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>(index of the first token, number of tokens, text) per run, in order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this tokenizer.</exception>
    public IReadOnlyList<(int Start, int Count, string Text)> DecodePieces(ReadOnlySpan<int> ids)
    {
        var pieces = new List<(int, int, string)>();
        var bytes = new List<byte>();
        int start = 0;
        int pending = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            foreach (byte b in TokenToBytes(ids[i]))
            {
                bytes.Add(b);
                if (pending > 0 && (b & 0xC0) == 0x80)
                {
                    pending--;
                }
                else
                {
                    pending = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
                }
            }

            // Close the run at a character boundary, or after 8 tokens of invalid bytes.
            if (pending == 0 || i - start >= 7)
            {
                pieces.Add((start, i - start + 1, Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))));
                bytes.Clear();
                pending = 0;
                start = i + 1;
            }
        }

        if (start < ids.Length)
        {
            pieces.Add((start, ids.Length - start, Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))));
        }

        return pieces;
    }

    /// <inheritdoc/>
    string ITokenDecoder.Decode(ReadOnlySpan<int> tokenIds) => Decode(tokenIds);

    /// <summary>The id of a token given as it is written in the vocabulary (byte-level alphabet) or as an added token.</summary>
    /// <param name="token">Token string, e.g. <c>Ġhello</c> or <c>&lt;|im_end|&gt;</c>.</param>
    /// <returns>The id, or null when there is no such token.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_addedByContent.TryGetValue(token, out var added))
        {
            return added.Id;
        }

        return _model.TryGetId(token, out int id) ? id : null;
    }

    /// <summary>The token string of an id, as written in the vocabulary (byte-level alphabet) or the added token's content.</summary>
    /// <param name="id">Token id.</param>
    /// <returns>The token, or null when no token has this id.</returns>
    public string? IdToToken(int id)
    {
        if (_addedById.TryGetValue(id, out var added))
        {
            return added.Content;
        }

        return (uint)id < (uint)_model.IdToToken.Length ? _model.IdToToken[id] : null;
    }

    /// <inheritdoc/>
    bool Templates.IChatTokenEncoder.HasAddedToken(string content) => FindAddedToken(content) is not null;

    /// <summary>True when <paramref name="id"/> is a special (control) token.</summary>
    /// <param name="id">Token id.</param>
    /// <returns>Whether the id is special.</returns>
    public bool IsSpecialToken(int id) => _addedById.TryGetValue(id, out var t) && t.Special;

    /// <summary>The added token whose content is exactly <paramref name="content"/>, if any.</summary>
    /// <param name="content">Token text, e.g. <c>&lt;|eot_id|&gt;</c>.</param>
    /// <returns>The token, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is null.</exception>
    public AddedToken? FindAddedToken(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return _addedByContent.GetValueOrDefault(content);
    }

    /// <summary>The BPE model (for tests of the merge paths).</summary>
    internal BpeModel Model => _model;

    /// <summary>Whether encoding may change the text before splitting it (NFC, or a prefix space), so that the ids can spell
    /// another text than the input.</summary>
    internal bool ChangesText => _normalizeNfc || _addPrefixSpace;

    /// <summary>
    /// The UTF-8 lengths of the pre-tokens of <paramref name="text"/>: normalizer and split regex only, added tokens not
    /// split out (what Hugging Face's <c>pre_tokenize_str(normalize_str(text))</c> gives), for the parity tests.
    /// </summary>
    internal List<int> PreTokenByteLengths(ReadOnlySpan<char> text)
    {
        if (_normalizeNfc)
        {
            text = UnicodeNfc.Normalize(text);
        }

        if (_addPrefixSpace && !text.IsEmpty && text[0] != ' ')
        {
            text = string.Concat(" ", text);
        }

        var lengths = new List<int>();
        for (int position = 0; position < text.Length;)
        {
            int length = _preTokenizer.NextLength(text, position);
            lengths.Add(Encoding.UTF8.GetByteCount(text.Slice(position, length)));
            position += length;
        }

        return lengths;
    }

    private void Encode<TSink>(ReadOnlySpan<char> text, bool allowSpecial, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        if (_rawMatcher is null)
        {
            EncodeSegment(text, allowSpecial, ref sink);
            return;
        }

        int position = 0;
        while (_rawMatcher.TryFindNext(text, position, allowSpecial, out int start, out int end, out var token))
        {
            if (start > position)
            {
                EncodeSegment(text[position..start], allowSpecial, ref sink);
            }

            sink.Add(token!.Id);
            position = end;
        }

        if (position < text.Length)
        {
            EncodeSegment(text[position..], allowSpecial, ref sink);
        }
    }

    private void EncodeSegment<TSink>(ReadOnlySpan<char> segment, bool allowSpecial, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        if (_normalizeNfc && !UnicodeNfc.IsNormalized(segment))
        {
            segment = UnicodeNfc.Normalize(segment);
        }

        if (_normalizedMatcher is null)
        {
            EncodePlain(segment, ref sink);
            return;
        }

        int position = 0;
        while (_normalizedMatcher.TryFindNext(segment, position, allowSpecial, out int start, out int end, out var token))
        {
            if (start > position)
            {
                EncodePlain(segment[position..start], ref sink);
            }

            sink.Add(token!.Id);
            position = end;
        }

        if (position < segment.Length)
        {
            EncodePlain(segment[position..], ref sink);
        }
    }

    private void EncodePlain<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (_addPrefixSpace && text[0] != ' ')
        {
            text = string.Concat(" ", text);
        }

        int position = 0;
        while (position < text.Length)
        {
            int length = _preTokenizer.NextLength(text, position);
            EncodePiece(text.Slice(position, length), ref sink);
            position += length;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncodePiece<TSink>(ReadOnlySpan<char> piece, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        if (piece.Length == 1 && piece[0] < 0x80)
        {
            sink.Add(_model.ByteId((byte)piece[0]));
            return;
        }

        if (_cache.TryGet(piece, out int[] cached))
        {
            sink.AddRange(cached);
            return;
        }

        EncodePieceUncached(piece, ref sink);
    }

    [SkipLocalsInit]
    private void EncodePieceUncached<TSink>(ReadOnlySpan<char> piece, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        int maxBytes = piece.Length * 3;
        byte[]? rentedBytes = null;
        int[]? rentedIds = null;
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[maxBytes] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        Span<int> ids = maxBytes <= 512 ? stackalloc int[maxBytes] : (rentedIds = ArrayPool<int>.Shared.Rent(maxBytes));
        try
        {
            int byteCount = Encoding.UTF8.GetBytes(piece, bytes);
            int count = _model.EncodeWord(bytes[..byteCount], ids);
            sink.AddRange(ids[..count]);
            _cache.Add(piece, ids[..count]);
        }
        finally
        {
            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
                ArrayPool<int>.Shared.Return(rentedIds!);
            }
        }
    }

    private int? Resolve(string? token, string field, TokenizerDefinition definition)
    {
        if (token is null)
        {
            return null;
        }

        return TokenToId(token) ?? throw new TokenizerFormatException(definition.ConfigFile ?? definition.SourceFile, "$." + field,
            $"the token '{token}' is not in the vocabulary or the added tokens of '{definition.SourceFile}'.");
    }

    private ArgumentOutOfRangeException UnknownId(int id) =>
        new("ids", id, $"The id {id} is not a token of the tokenizer '{Name}' (ids are in [0, {VocabularySize})).");

    /// <summary>Where encoded ids go: a list, or just a count.</summary>
    private interface ITokenSink
    {
        void Add(int id);

        void AddRange(ReadOnlySpan<int> ids);
    }

    private struct ListSink(List<int> ids) : ITokenSink
    {
        public readonly List<int> Ids => ids;

        public readonly void Add(int id) => ids.Add(id);

        public readonly void AddRange(ReadOnlySpan<int> values) => ids.AddRange(values);
    }

    private struct CountSink : ITokenSink
    {
        public int Count;

        public void Add(int id) => Count++;

        public void AddRange(ReadOnlySpan<int> values) => Count += values.Length;
    }
}
