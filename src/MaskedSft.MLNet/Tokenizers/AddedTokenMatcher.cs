// Finds added tokens in text: leftmost-longest, non-overlapping, as Hugging Face's Aho-Corasick splitter does.
namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// A character trie over the contents of a set of <see cref="AddedToken"/>s. Scanning left to right, the first position
/// where some token starts wins and the longest token starting there is taken; scanning resumes after it. Like Hugging
/// Face's splitter, a match that is then refused (a disallowed special token, a single-word token inside a word) still
/// consumes its text, which stays plain text.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly List<Node> _nodes = [new Node()];
    private readonly bool[] _firstChar = new bool[0x10000];

    /// <summary>Builds the matcher of <paramref name="tokens"/> (empty contents are ignored).</summary>
    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        foreach (var token in tokens)
        {
            if (token.Content.Length == 0)
            {
                continue;
            }

            int node = 0;
            foreach (char c in token.Content)
            {
                if (!_nodes[node].Children.TryGetValue(c, out int child))
                {
                    child = _nodes.Count;
                    _nodes.Add(new Node());
                    _nodes[node].Children[c] = child;
                }

                node = child;
            }

            // The last token listed with a given content wins, as later entries of added_tokens override earlier ones.
            _nodes[node].Token = token;
            _firstChar[token.Content[0]] = true;
        }
    }

    /// <summary>
    /// Finds the next token at or after <paramref name="from"/>. <paramref name="start"/> and <paramref name="end"/> give
    /// the text it covers (white space included for <see cref="AddedToken.LeftStrip"/>/<see cref="AddedToken.RightStrip"/>),
    /// never starting before <paramref name="from"/>.
    /// </summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int from, bool allowSpecial, out int start, out int end, out AddedToken? token)
    {
        int i = from;
        while (i < text.Length)
        {
            if (!_firstChar[text[i]])
            {
                i++;
                continue;
            }

            var found = Longest(text, i, out int matchEnd);
            if (found is null)
            {
                i++;
                continue;
            }

            if ((found.Special && !allowSpecial) || (found.SingleWord && !IsSingleWord(text, i, matchEnd)))
            {
                i = matchEnd;
                continue;
            }

            start = i;
            end = matchEnd;
            if (found.LeftStrip)
            {
                while (start > from && CodePointClass.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (found.RightStrip)
            {
                while (end < text.Length && CodePointClass.IsWhiteSpace(text[end]))
                {
                    end++;
                }
            }

            token = found;
            return true;
        }

        start = end = text.Length;
        token = null;
        return false;
    }

    private AddedToken? Longest(ReadOnlySpan<char> text, int start, out int end)
    {
        AddedToken? best = null;
        end = start;
        int node = 0;
        for (int i = start; i < text.Length; i++)
        {
            if (!_nodes[node].Children.TryGetValue(text[i], out node))
            {
                break;
            }

            if (_nodes[node].Token is { } token)
            {
                best = token;
                end = i + 1;
            }
        }

        return best;
    }

    private static bool IsSingleWord(ReadOnlySpan<char> text, int start, int end)
    {
        bool wordBefore = start > 0 && IsWordChar(text, start - 1, before: true);
        bool wordAfter = end < text.Length && IsWordChar(text, end, before: false);
        return !wordBefore && !wordAfter;
    }

    private static bool IsWordChar(ReadOnlySpan<char> text, int index, bool before)
    {
        if (text[index] == '_')
        {
            return true;
        }

        // Read the whole code point adjacent to the token.
        if (before && char.IsLowSurrogate(text[index]) && index > 0 && char.IsHighSurrogate(text[index - 1]))
        {
            index--;
        }

        var kind = CodePointClass.At(text, index, out _);
        return kind is CodePointKind.Letter or CodePointKind.Number;
    }

    private sealed class Node
    {
        public Dictionary<char, int> Children { get; } = [];

        public AddedToken? Token { get; set; }
    }
}
