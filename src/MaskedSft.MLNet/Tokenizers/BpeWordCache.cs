// A bounded cache from pre-token text to its BPE ids, one per thread, looked up by span without allocating.
namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Remembers the ids of frequent pre-tokens (words). Each thread has its own table (no locks on the hot path), holding at
/// most <see cref="Capacity"/> entries: when full it is emptied and refills with what is frequent now. Pre-tokens longer
/// than <see cref="MaxWordLength"/> chars are not cached.
/// </summary>
internal sealed class BpeWordCache
{
    /// <summary>Longest pre-token (in chars) that is cached.</summary>
    public const int MaxWordLength = 64;

    private readonly ThreadLocal<Table>? _tables;

    /// <summary>Creates a cache of at most <paramref name="capacity"/> entries per thread (0 disables it).</summary>
    public BpeWordCache(int capacity)
    {
        Capacity = capacity;
        _tables = capacity > 0 ? new ThreadLocal<Table>(() => new Table()) : null;
    }

    /// <summary>Most entries held at once by one thread.</summary>
    public int Capacity { get; }

    /// <summary>Looks <paramref name="word"/> up.</summary>
    public bool TryGet(ReadOnlySpan<char> word, out int[] ids)
    {
        if (_tables is null || word.Length > MaxWordLength)
        {
            ids = [];
            return false;
        }

        return _tables.Value!.BySpan.TryGetValue(word, out ids!);
    }

    /// <summary>Stores the ids of <paramref name="word"/>.</summary>
    public void Add(ReadOnlySpan<char> word, ReadOnlySpan<int> ids)
    {
        if (_tables is null || word.Length > MaxWordLength)
        {
            return;
        }

        var table = _tables.Value!;
        if (table.Map.Count >= Capacity)
        {
            table.Map.Clear();
        }

        table.BySpan.TryAdd(word, ids.ToArray());
    }

    /// <summary>One thread's table. The default string comparer of Dictionary hashes without randomization until it sees
    /// many collisions, which is faster than the randomized hashing of a concurrent dictionary.</summary>
    private sealed class Table
    {
        public Table()
        {
            Map = [];
            BySpan = Map.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public Dictionary<string, int[]> Map { get; }

        public Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> BySpan { get; }
    }
}
