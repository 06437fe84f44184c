// Open-addressing hash table from a pair of token ids to the rank and result of the merge rule of that pair.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// The merge rules of a BPE model keyed by <c>(left id &lt;&lt; 32) | right id</c>, with Fibonacci hashing and linear
/// probing. A Dictionary&lt;long, ...&gt; hashes such keys as <c>left ^ right</c>, which piles the pairs of small ids into
/// few buckets; this table spreads them, which makes the lookups of the merge loop several times faster.
/// </summary>
internal sealed class MergeTable
{
    private const long Empty = -1;

    private readonly long[] _keys;
    private readonly int[] _ranks;
    private readonly int[] _merged;
    private readonly int _shift;
    private readonly int _mask;

    /// <summary>Builds the table from merge rules in rank order; a repeated pair keeps its first (lowest) rank.</summary>
    public MergeTable(IReadOnlyList<(int Left, int Right, int Merged)> merges)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, merges.Count * 2));
        _keys = new long[capacity];
        _ranks = new int[capacity];
        _merged = new int[capacity];
        Array.Fill(_keys, Empty);
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right, merged) = merges[rank];
            long key = Key(left, right);
            int slot = Slot(key);
            while (_keys[slot] != Empty && _keys[slot] != key)
            {
                slot = (slot + 1) & _mask;
            }

            if (_keys[slot] == Empty)
            {
                _keys[slot] = key;
                _ranks[slot] = rank;
                _merged[slot] = merged;
                Count++;
            }
        }
    }

    /// <summary>Number of distinct pairs.</summary>
    public int Count { get; }

    /// <summary>The rank of the rule merging (left, right) and its result, or int.MaxValue when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(int left, int right, out int merged)
    {
        long key = Key(left, right);
        int slot = Slot(key);
        while (true)
        {
            long k = _keys[slot];
            if (k == key)
            {
                merged = _merged[slot];
                return _ranks[slot];
            }

            if (k == Empty)
            {
                merged = -1;
                return int.MaxValue;
            }

            slot = (slot + 1) & _mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15UL)) >> _shift);
}
