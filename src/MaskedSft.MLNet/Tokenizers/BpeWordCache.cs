// A bounded, thread-safe cache from pre-token text to its BPE ids, looked up by span without allocating.
using System.Collections.Concurrent;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Remembers the ids of frequent pre-tokens (words). Holds at most <see cref="Capacity"/> entries: when full it is
/// emptied and refills with what is frequent now. Pre-tokens longer than <see cref="MaxWordLength"/> chars are not cached.
/// </summary>
internal sealed class BpeWordCache
{
    /// <summary>Longest pre-token (in chars) that is cached.</summary>
    public const int MaxWordLength = 64;

    private readonly ConcurrentDictionary<string, int[]> _map;
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private int _count;

    /// <summary>Creates a cache of at most <paramref name="capacity"/> entries (0 disables it).</summary>
    public BpeWordCache(int capacity)
    {
        Capacity = capacity;
        _map = new ConcurrentDictionary<string, int[]>(StringComparer.Ordinal);
        _bySpan = _map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Most entries held at once.</summary>
    public int Capacity { get; }

    /// <summary>Looks <paramref name="word"/> up.</summary>
    public bool TryGet(ReadOnlySpan<char> word, out int[] ids)
    {
        if (Capacity == 0 || word.Length > MaxWordLength)
        {
            ids = [];
            return false;
        }

        return _bySpan.TryGetValue(word, out ids!);
    }

    /// <summary>Stores the ids of <paramref name="word"/>.</summary>
    public void Add(ReadOnlySpan<char> word, ReadOnlySpan<int> ids)
    {
        if (Capacity == 0 || word.Length > MaxWordLength)
        {
            return;
        }

        if (Interlocked.Increment(ref _count) > Capacity)
        {
            _map.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        _bySpan.TryAdd(word, ids.ToArray());
    }
}
