// The BPE model of a byte-level tokenizer: vocabulary, ranked merges, and the merge algorithm on one pre-token.
using System.Buffers;
using System.Runtime.CompilerServices;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Vocabulary (byte-level token strings to ids) and merge rules. <see cref="EncodeWord"/> turns the UTF-8 bytes of one
/// pre-token into ids by repeatedly applying the merge of lowest rank, leftmost first, exactly as Hugging Face's BPE model
/// (without dropout) does.
/// </summary>
[SkipLocalsInit]
internal sealed class BpeModel
{
    /// <summary>Words with more symbols than this use the heap-based merge (O(n log n)); shorter ones a linear scan.</summary>
    internal const int HeapThreshold = 96;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly MergeTable _merges;
    private readonly int[] _byteIds = new int[256];

    /// <summary>Creates the model.</summary>
    /// <param name="vocab">Token (in the byte-level alphabet) to id.</param>
    /// <param name="merges">The merge rules in rank order, as pairs of token ids; the merged token must be in the vocabulary.</param>
    /// <param name="ignoreMerges">When true (Llama 3), a pre-token that is a whole vocabulary entry maps to it directly.</param>
    /// <param name="describeMissingByte">Builds the error for a byte whose character is not in the vocabulary.</param>
    public BpeModel(Dictionary<string, int> vocab, List<(int Left, int Right, int Merged)> merges, bool ignoreMerges, Func<int, Exception> describeMissingByte)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        IgnoreMerges = ignoreMerges;
        // The first occurrence of a pair keeps its rank, as in Hugging Face's BPE.
        _merges = new MergeTable(merges);

        Span<char> one = stackalloc char[1];
        for (int b = 0; b < 256; b++)
        {
            one[0] = ByteLevelMapping.ByteToChar((byte)b);
            if (!_vocabBySpan.TryGetValue(one, out _byteIds[b]))
            {
                throw describeMissingByte(b);
            }
        }

        MaxId = vocab.Count == 0 ? -1 : vocab.Values.Max();
        IdToToken = new string?[MaxId + 1];
        foreach (var (token, id) in vocab)
        {
            IdToToken[id] = token;
        }
    }

    /// <summary>True when whole-vocabulary pre-tokens skip the merges (tokenizer.json's model.ignore_merges).</summary>
    public bool IgnoreMerges { get; }

    /// <summary>Largest id of the vocabulary.</summary>
    public int MaxId { get; }

    /// <summary>Token string of each id (null for gaps).</summary>
    public string?[] IdToToken { get; }

    /// <summary>Number of merge rules.</summary>
    public int MergeCount => _merges.Count;

    /// <summary>Looks a token string up.</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _vocabBySpan.TryGetValue(token, out id);

    /// <summary>Id of the token of the single byte <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ByteId(byte value) => _byteIds[value];

    /// <summary>
    /// Encodes the UTF-8 bytes of one pre-token into <paramref name="ids"/> (which must hold <c>bytes.Length</c> ints);
    /// returns the number of ids written.
    /// </summary>
    public int EncodeWord(ReadOnlySpan<byte> bytes, Span<int> ids)
    {
        int n = bytes.Length;
        if (n == 1)
        {
            ids[0] = _byteIds[bytes[0]];
            return 1;
        }

        if (IgnoreMerges && TryWholeWord(bytes, out int whole))
        {
            ids[0] = whole;
            return 1;
        }

        for (int i = 0; i < n; i++)
        {
            ids[i] = _byteIds[bytes[i]];
        }

        return n <= HeapThreshold ? MergeByScan(ids[..n]) : MergeByHeap(ids[..n]);
    }

    /// <summary>The linear-scan merge (exposed to tests to compare with the heap merge on any length).</summary>
    internal int MergeByScan(Span<int> ids)
    {
        int n = ids.Length;
        if (n < 2)
        {
            return n;
        }

        // ranks[p] = rank of the pair (ids[p], ids[p+1]) (int.MaxValue when no rule merges it), merged[p] its result.
        int[]? rentedRanks = null, rentedMerged = null;
        Span<int> ranks = n <= 128 ? stackalloc int[n] : (rentedRanks = ArrayPool<int>.Shared.Rent(n));
        Span<int> merged = n <= 128 ? stackalloc int[n] : (rentedMerged = ArrayPool<int>.Shared.Rent(n));
        try
        {
            for (int p = 0; p < n - 1; p++)
            {
                ranks[p] = Lookup(ids[p], ids[p + 1], out merged[p]);
            }

            while (n > 1)
            {
                int best = -1;
                int bestRank = int.MaxValue;
                for (int p = 0; p < n - 1; p++)
                {
                    if (ranks[p] < bestRank)
                    {
                        bestRank = ranks[p];
                        best = p;
                    }
                }

                if (best < 0)
                {
                    break;
                }

                ids[best] = merged[best];
                // Remove the symbol at best + 1 and the pair entry that started there.
                int tail = n - best - 2;
                if (tail > 0)
                {
                    ids.Slice(best + 2, tail).CopyTo(ids.Slice(best + 1));
                    ranks.Slice(best + 2, tail - 1 > 0 ? tail - 1 : 0).CopyTo(ranks.Slice(best + 1));
                    merged.Slice(best + 2, tail - 1 > 0 ? tail - 1 : 0).CopyTo(merged.Slice(best + 1));
                }

                n--;
                if (best > 0)
                {
                    ranks[best - 1] = Lookup(ids[best - 1], ids[best], out merged[best - 1]);
                }

                if (best < n - 1)
                {
                    ranks[best] = Lookup(ids[best], ids[best + 1], out merged[best]);
                }
            }

            return n;
        }
        finally
        {
            if (rentedRanks is not null)
            {
                ArrayPool<int>.Shared.Return(rentedRanks);
                ArrayPool<int>.Shared.Return(rentedMerged!);
            }
        }
    }

    /// <summary>The heap-based merge for long words: a priority queue of (rank, position) over a linked list of symbols.</summary>
    internal int MergeByHeap(Span<int> ids)
    {
        int n = ids.Length;
        if (n < 2)
        {
            return n;
        }

        int[] prev = ArrayPool<int>.Shared.Rent(n);
        int[] next = ArrayPool<int>.Shared.Rent(n);
        try
        {
            var queue = new PriorityQueue<int, long>(n);
            for (int p = 0; p < n; p++)
            {
                prev[p] = p - 1;
                next[p] = p + 1 < n ? p + 1 : -1;
                if (p + 1 < n)
                {
                    int rank = Lookup(ids[p], ids[p + 1], out _);
                    if (rank != int.MaxValue)
                    {
                        queue.Enqueue(p, ((long)rank << 32) | (uint)p);
                    }
                }
            }

            const int Dead = -2;
            while (queue.TryDequeue(out int pos, out long priority))
            {
                int q = next[pos];
                if (next[pos] == Dead || q < 0)
                {
                    continue;
                }

                int rank = (int)(priority >> 32);
                int current = Lookup(ids[pos], ids[q], out int mergedId);
                if (current != rank)
                {
                    continue; // stale: one of the two symbols changed since this entry was pushed
                }

                ids[pos] = mergedId;
                int after = next[q];
                next[pos] = after;
                if (after >= 0)
                {
                    prev[after] = pos;
                }

                next[q] = Dead;
                int before = prev[pos];
                if (before >= 0)
                {
                    int r = Lookup(ids[before], ids[pos], out _);
                    if (r != int.MaxValue)
                    {
                        queue.Enqueue(before, ((long)r << 32) | (uint)before);
                    }
                }

                if (after >= 0)
                {
                    int r = Lookup(ids[pos], ids[after], out _);
                    if (r != int.MaxValue)
                    {
                        queue.Enqueue(pos, ((long)r << 32) | (uint)pos);
                    }
                }
            }

            int count = 0;
            for (int p = 0; p >= 0; p = next[p])
            {
                ids[count++] = ids[p];
            }

            return count;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<int>.Shared.Return(next);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Lookup(int left, int right, out int merged) => _merges.Lookup(left, right, out merged);

    private bool TryWholeWord(ReadOnlySpan<byte> bytes, out int id)
    {
        if (bytes.Length > 256)
        {
            id = -1;
            return false;
        }

        Span<char> chars = stackalloc char[bytes.Length];
        ByteLevelMapping.BytesToChars(bytes, chars);
        return _vocabBySpan.TryGetValue(chars, out id);
    }
}
