// Deterministic synthetic chat episodes for the main job and tests: noisy user prompts, learnable assistant answers.
using System.Text;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>One synthetic chat episode.</summary>
/// <param name="Tokens">Token ids: <c>&lt;|user|&gt; filler... question &lt;|end|&gt; &lt;|assistant|&gt; answer... &lt;|end|&gt;</c>.</param>
/// <param name="Mask">Loss mask, one byte per token; <c>Mask[i] = 1</c> means token i is trained AS A TARGET (predicted
/// from tokens 0..i-1). It is 1 exactly on the answer tokens and the <c>&lt;|end|&gt;</c> that closes the assistant turn.</param>
/// <param name="PromptLength">Number of tokens up to and including the assistant header; the answer starts there.</param>
public sealed record SyntheticChatEpisode(int[] Tokens, byte[] Mask, int PromptLength)
{
    /// <summary>The assistant turn (answer tokens plus the closing end token).</summary>
    public ReadOnlySpan<int> Response => Tokens.AsSpan(PromptLength);
}

/// <summary>
/// A small deterministic chat corpus over its own word vocabulary. Each user turn starts with random filler and noise
/// tokens (unlearnable) and asks one of two questions about one of 24 invented countries: its capital or its flag colour.
/// The assistant answers with a fixed sentence (<c>the capital of X is Y .</c>, <c>the flag of X is Z .</c>), so the
/// answer is a deterministic function of the prompt: a model trained with the loss mask learns the answers and not the
/// prompts. Everything derives from the seed.
/// </summary>
public sealed class SyntheticChatCorpus : ITokenDecoder
{
    /// <summary>Id of the padding token.</summary>
    public const int PadId = 0;

    /// <summary>Id of the user-turn header.</summary>
    public const int UserId = 1;

    /// <summary>Id of the assistant-turn header.</summary>
    public const int AssistantId = 2;

    /// <summary>Id of the end-of-turn token.</summary>
    public const int EndId = 3;

    private static readonly string[] Specials = ["<pad>", "<|user|>", "<|assistant|>", "<|end|>"];
    private static readonly string[] Words = ["what", "is", "the", "capital", "of", "?", "which", "color", "flag", ".", "tell", "me"];

    private static readonly string[] Filler =
    [
        "hi", "hello", "hey", "please", "kindly", "quickly", "friend", "today", "so", "um", "well", "ok", "now", "again",
        "thanks", "sorry", "dear", "bot", "assistant", "quick", "question", "simple", "also", "yes", "no", "maybe", "right",
        "just", "wondering", "curious", "really", "honestly", "btw", "hmm", "listen", "look", "alright", "great", "cool", "sure",
    ];

    private static readonly string[] Countries =
    [
        "arvenia", "belmora", "castria", "dornholt", "elvaria", "fenwick", "galdor", "halvia", "istria", "jorvik", "kestria",
        "lunaria", "morvania", "norland", "ostmark", "pellia", "quenta", "rovania", "sarnia", "tarvos", "ulmara", "veskia",
        "wendor", "zarcos",
    ];

    private static readonly string[] Capitals =
    [
        "alba", "brill", "corin", "dunmere", "esk", "farrow", "glen", "hale", "iona", "jarl", "keld", "lorn", "mirth", "nesh",
        "orrin", "pike", "quill", "rook", "sable", "thorn", "umber", "vale", "wyck", "yarrow",
    ];

    private static readonly string[] Colors = ["red", "green", "blue", "yellow", "white", "black", "orange", "purple"];

    private const int NoiseWords = 64;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _vocabulary = [];
    private readonly int[] _capitalOf;
    private readonly int[] _colorOf;

    private SyntheticChatCorpus(int seed)
    {
        Seed = seed;
        foreach (var w in Specials) Add(w);
        foreach (var w in Words) Add(w);
        foreach (var w in Filler) Add(w);
        for (var i = 0; i < NoiseWords; i++) Add($"n{i:D2}");
        foreach (var w in Countries) Add(w);
        foreach (var w in Capitals) Add(w);
        foreach (var w in Colors) Add(w);
        var random = new Random(seed);
        _capitalOf = Enumerable.Range(0, Capitals.Length).ToArray();
        random.Shuffle(_capitalOf);
        _colorOf = Countries.Select(_ => random.Next(Colors.Length)).ToArray();
    }

    /// <summary>The seed everything derives from.</summary>
    public int Seed { get; }

    /// <summary>The vocabulary: id -&gt; word.</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary;

    /// <summary>The vocabulary size rounded up to a multiple of 64 (a model's embedding size for this corpus).</summary>
    public int PaddedVocabSize => (_vocabulary.Count + 63) / 64 * 64;

    /// <summary>The longest episode this corpus can produce, in tokens.</summary>
    public static int MaxEpisodeLength => 1 + 3 + 4 + 7 + 1 + 1 + 7 + 1;

    /// <summary>Number of distinct (country, question) facts.</summary>
    public static int FactCount => Countries.Length * 2;

    /// <summary>Creates the corpus of a seed.</summary>
    /// <param name="seed">Seed of the fact tables (and the default episode stream).</param>
    /// <returns>The corpus.</returns>
    public static SyntheticChatCorpus Create(int seed = 1234) => new(seed);

    /// <summary>Generates <paramref name="count"/> episodes from a stream seed (the same seed gives the same episodes).</summary>
    /// <param name="count">Number of episodes.</param>
    /// <param name="streamSeed">Seed of the episode stream (use different seeds for train and validation).</param>
    /// <returns>The episodes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public IReadOnlyList<SyntheticChatEpisode> Generate(int count, int streamSeed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(StreamSeed(Seed, streamSeed)); // not HashCode.Combine: it is randomised per process
        var list = new List<SyntheticChatEpisode>(count);
        for (var i = 0; i < count; i++) list.Add(Episode(random));
        return list;
    }

    /// <summary>
    /// Writes an episode dataset (atomically, see <see cref="EpisodeDatasetWriter"/>) with <paramref name="trainCount"/>
    /// training episodes from stream 1 and <paramref name="validationCount"/> validation episodes from stream 2. The
    /// vocabulary size written is <see cref="PaddedVocabSize"/> and the pad id <see cref="PadId"/>.
    /// </summary>
    /// <param name="path">Target directory; it must not exist unless <paramref name="overwrite"/>.</param>
    /// <param name="trainCount">Number of training episodes.</param>
    /// <param name="validationCount">Number of validation episodes.</param>
    /// <param name="overwrite">Replace an existing dataset at <paramref name="path"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    /// <exception cref="IOException">The target exists, or writing failed.</exception>
    public void WriteDataset(string path, int trainCount, int validationCount, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegative(trainCount);
        ArgumentOutOfRangeException.ThrowIfNegative(validationCount);
        var options = new EpisodeDatasetWriterOptions
        {
            VocabSize = PaddedVocabSize,
            PadId = PadId,
            Tokenizer = new TokenizerIdentity { Name = $"synthetic-chat-words-v1 (seed {Seed})" },
            Source = $"SyntheticChatCorpus(seed {Seed}): {trainCount} train + {validationCount} validation episodes",
            Overwrite = overwrite,
        };
        using var writer = new EpisodeDatasetWriter(path, options);
        foreach (var e in Generate(trainCount, streamSeed: 1))
        {
            writer.AppendEpisode(e.Tokens, e.Mask, metadata: new EpisodeMetadata { Split = DatasetSplit.Train });
        }

        foreach (var e in Generate(validationCount, streamSeed: 2))
        {
            writer.AppendEpisode(e.Tokens, e.Mask, metadata: new EpisodeMetadata { Split = DatasetSplit.Validation });
        }

        writer.Complete();
    }

    /// <summary>Decodes ids to space-separated words (unknown ids as <c>&lt;id:N&gt;</c>).</summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The text.</returns>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(id >= 0 && id < _vocabulary.Count ? _vocabulary[id] : $"<id:{id}>");
        }

        return sb.ToString();
    }

    private SyntheticChatEpisode Episode(Random random)
    {
        var tokens = new List<int>(MaxEpisodeLength) { UserId };
        var fillers = random.Next(4);
        for (var f = 0; f < fillers; f++) tokens.Add(Id(Filler[random.Next(Filler.Length)]));
        var noise = random.Next(5);
        for (var n = 0; n < noise; n++) tokens.Add(Id($"n{random.Next(NoiseWords):D2}"));
        var country = random.Next(Countries.Length);
        var askCapital = random.Next(2) == 0;
        var opener = random.Next(2) == 0 ? new[] { "what", "is" } : ["tell", "me"];
        tokens.AddRange(opener.Select(Id));
        if (askCapital) tokens.AddRange(new[] { "the", "capital", "of", Countries[country], "?" }.Select(Id));
        else tokens.AddRange(new[] { "the", "flag", "of", Countries[country], "?" }.Select(Id));
        tokens.Add(EndId);
        tokens.Add(AssistantId);
        var promptLength = tokens.Count;
        var answer = askCapital
            ? new[] { "the", "capital", "of", Countries[country], "is", Capitals[_capitalOf[country]], "." }
            : ["the", "flag", "of", Countries[country], "is", Colors[_colorOf[country]], "."];
        tokens.AddRange(answer.Select(Id));
        tokens.Add(EndId);
        var mask = new byte[tokens.Count];
        for (var i = promptLength; i < tokens.Count; i++) mask[i] = 1;
        return new SyntheticChatEpisode([.. tokens], mask, promptLength);
    }

    /// <summary>A deterministic 32-bit seed from (corpus seed, stream seed): a splitmix64 finalizer over both.</summary>
    private static int StreamSeed(int seed, int stream)
    {
        var z = unchecked(((ulong)(uint)seed << 32) ^ (uint)stream ^ 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    private void Add(string word)
    {
        _ids.Add(word, _vocabulary.Count);
        _vocabulary.Add(word);
    }

    private int Id(string word) => _ids[word];
}
