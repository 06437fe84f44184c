// A deterministic word-level tokenizer over a small robot-action vocabulary, for testing training infrastructure cheaply.
using System.Text;
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// A word-level tokenizer with a fixed 256-id vocabulary: special tokens, robot-action words ("move", "right", "forward",
/// "and", "gripper", ...), distances "1cm".."50cm" and numbers "0".."99". Words outside the vocabulary map deterministically
/// (FNV-1a hash) to ids in [<see cref="FirstHashedId"/>, <see cref="VocabSize"/>) and decode as <c>&lt;wNNN&gt;</c>.
/// Text made of vocabulary words round-trips exactly: <c>Decode(Encode("move right 10cm and move forward 5cm"))</c> returns
/// the same string. It is a real tokenizer for a toy language, meant for mock training runs and tests.
/// </summary>
public sealed class MockTokenizer : ITokenDecoder
{
    /// <summary>Number of token ids.</summary>
    public const int VocabSize = 256;

    /// <summary>Padding id (never decoded).</summary>
    public const int PadId = 0;

    /// <summary>Beginning-of-sequence id (never decoded).</summary>
    public const int BosId = 1;

    /// <summary>End-of-sequence id (never decoded).</summary>
    public const int EosId = 2;

    /// <summary>The movement directions of action phrases.</summary>
    public static readonly IReadOnlyList<string> Directions = ["right", "left", "forward", "backward", "up", "down"];

    /// <summary>Objects that prompts mention.</summary>
    public static readonly IReadOnlyList<string> Objects = ["block", "cup", "bowl", "drawer", "sponge", "marker"];

    /// <summary>Colors that prompts mention.</summary>
    public static readonly IReadOnlyList<string> Colors = ["red", "blue", "green", "yellow", "white", "black"];

    /// <summary>Largest distance token ("50cm").</summary>
    public const int MaxCentimeters = 50;

    private static readonly string[] Words =
    [
        "<pad>", "<bos>", "<eos>", "and", "move", "right", "left", "forward", "backward", "up", "down", "rotate", "clockwise",
        "counterclockwise", "degrees", "open", "close", "gripper", "the", "pick", "place", "push", "pull", "put", "stack", "on",
        "in", "to", "of", "a", "then", "table", "top", "block", "cup", "bowl", "drawer", "sponge", "marker", "red", "blue",
        "green", "yellow", "white", "black", "slowly", "carefully",
    ];

    private readonly string[] _vocabulary;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Creates the tokenizer (the vocabulary is fixed).</summary>
    public MockTokenizer()
    {
        var vocabulary = new List<string>(Words);
        for (int cm = 1; cm <= MaxCentimeters; cm++)
        {
            vocabulary.Add($"{cm}cm");
        }

        for (int n = 0; n < 100; n++)
        {
            vocabulary.Add(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        FirstHashedId = vocabulary.Count;
        for (int id = FirstHashedId; id < VocabSize; id++)
        {
            vocabulary.Add($"<w{id}>");
        }

        _vocabulary = [.. vocabulary];
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < FirstHashedId; id++)
        {
            _ids[_vocabulary[id]] = id;
        }
    }

    /// <summary>First id of the hashed range for out-of-vocabulary words.</summary>
    public int FirstHashedId { get; }

    /// <summary>The id's string: a word, a special token or <c>&lt;wNNN&gt;</c>.</summary>
    /// <param name="id">A token id in [0, <see cref="VocabSize"/>).</param>
    /// <returns>The token's text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="id"/> is outside the vocabulary.</exception>
    public string IdToToken(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, VocabSize);
        return _vocabulary[id];
    }

    /// <summary>The id of a vocabulary word, e.g. <c>"10cm"</c>.</summary>
    /// <param name="word">The word (lower case).</param>
    /// <returns>Its id.</returns>
    /// <exception cref="KeyNotFoundException">When the word is not in the fixed vocabulary.</exception>
    public int TokenToId(string word) =>
        _ids.TryGetValue(word, out var id) ? id : throw new KeyNotFoundException($"'{word}' is not in the MockTokenizer vocabulary.");

    /// <summary>Encodes <paramref name="text"/>: lower-cased words split on white space and punctuation.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBos">Prepend <see cref="BosId"/>.</param>
    /// <param name="addEos">Append <see cref="EosId"/>.</param>
    /// <returns>The ids.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="text"/> is null.</exception>
    public int[] Encode(string text, bool addBos = false, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addBos)
        {
            ids.Add(BosId);
        }

        foreach (var raw in text.Split([' ', '\t', '\n', '\r', ',', '.', ';', '!', '?'], StringSplitOptions.RemoveEmptyEntries))
        {
            var word = raw.ToLowerInvariant();
            ids.Add(_ids.TryGetValue(word, out var id) && id > EosId ? id : HashedId(word));
        }

        if (addEos)
        {
            ids.Add(EosId);
        }

        return [.. ids];
    }

    /// <summary>Decodes ids to words joined by single spaces, skipping pad, BOS and EOS.</summary>
    /// <param name="tokenIds">The ids.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When an id is outside [0, <see cref="VocabSize"/>).</exception>
    public string Decode(ReadOnlySpan<int> tokenIds)
    {
        var sb = new StringBuilder();
        foreach (var id in tokenIds)
        {
            if (id is PadId or BosId or EosId)
            {
                continue;
            }

            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(IdToToken(id));
        }

        return sb.ToString();
    }

    private int HashedId(string word)
    {
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(word))
        {
            hash = (hash ^ b) * 16777619;
        }

        return FirstHashedId + (int)(hash % (uint)(VocabSize - FirstHashedId));
    }
}
