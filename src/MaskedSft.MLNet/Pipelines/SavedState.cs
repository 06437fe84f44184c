// Carries a transformer's state through ML.NET's own saved pieces: a ValueMapping table of base64 chunks read once per process.
using System.Collections.Concurrent;
using System.Globalization;
using MaskedSft.MLNet.Pipelines.Mappings;
using Microsoft.ML;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// The state route of saved MaskedSft transformers (docs/mlnet.md). ML.NET 5 keeps its own binary persistence internal, so a
/// MaskedSft transformer saves itself as a chain of ML.NET transformers that ML.NET can save and load:
/// <list type="number">
/// <item>a <c>CustomMapping</c> (<see cref="StateProbeFactory"/>) adds a constant key column;</item>
/// <item>a <c>ValueMapping</c> maps that key to the state's id and chunk count (<c>id|count</c>, text);</item>
/// <item>a <c>CustomMapping</c> (<see cref="StateChunkKeysFactory"/>) asks for the chunk keys 1..count only while this
/// process has not decoded that state yet (an empty vector afterwards);</item>
/// <item>a <c>ValueMapping</c> maps the chunk keys element-wise to the state's base64 chunks (its table is written into the
/// model zip by ML.NET);</item>
/// <item>the transformer's own <c>CustomMapping</c> decodes the chunks once into a process-wide cache, keyed by the id.</item>
/// </list>
/// So the state is copied out of the table for the first row a process reads, not for every row.
/// </summary>
internal static class SavedState
{
    /// <summary>Bytes per chunk (64 Ki characters of base64).</summary>
    public const int ChunkBytes = 48 * 1024;

    /// <summary>Column of the constant probe key.</summary>
    public const string ProbeColumn = "__MaskedSft.StateProbe";

    /// <summary>Column of the state's <c>id|count</c>.</summary>
    public const string IdColumn = "__MaskedSft.StateId";

    /// <summary>Column of the requested chunk keys.</summary>
    public const string KeysColumn = "__MaskedSft.StateKeys";

    /// <summary>Column of the requested chunks (base64 text).</summary>
    public const string ChunksColumn = "__MaskedSft.StateChunks";

    /// <summary>Every column the state steps add (drop them after the step that reads them).</summary>
    public static readonly string[] Columns = [ProbeColumn, IdColumn, KeysColumn, ChunksColumn];

    private static readonly ConcurrentDictionary<string, object> Decoded = new(StringComparer.Ordinal);

    /// <summary>The estimators that put a state's id and (when needed) chunks into every row.</summary>
    /// <param name="ml">The context.</param>
    /// <param name="state">The state's bytes.</param>
    /// <returns>An estimator chain adding <see cref="IdColumn"/> and <see cref="ChunksColumn"/>.</returns>
    public static IEstimator<ITransformer> Loader(MLContext ml, byte[] state)
    {
        var chunks = new List<KeyValuePair<uint, string>>();
        for (int offset = 0, key = 1; offset < state.Length || key == 1; offset += ChunkBytes, key++)
        {
            int length = Math.Min(ChunkBytes, state.Length - offset);
            chunks.Add(new((uint)key, Convert.ToBase64String(state, offset, length)));
        }

        string id = string.Create(CultureInfo.InvariantCulture, $"{StateBundle.IdOf(state)}|{chunks.Count}");
        return ml.Transforms.CustomMapping(new StateProbeFactory().GetMapping(), StateProbeFactory.ContractName)
            .Append(ml.Transforms.Conversion.MapValue(IdColumn, [new KeyValuePair<uint, string>(0, id)], ProbeColumn))
            .Append(ml.Transforms.CustomMapping(new StateChunkKeysFactory().GetMapping(), StateChunkKeysFactory.ContractName))
            .Append(ml.Transforms.Conversion.MapValue(ChunksColumn, chunks, KeysColumn));
    }

    /// <summary>The chunk keys a row must fetch: none when the state of <paramref name="idAndCount"/> is decoded here.</summary>
    public static uint[] KeysToFetch(string? idAndCount)
    {
        var (id, count) = Parse(idAndCount);
        return Decoded.ContainsKey(id) ? [] : [.. Enumerable.Range(1, count).Select(k => (uint)k)];
    }

    /// <summary>The decoded state of a row: from the process cache, or decoded from the row's chunks and cached.</summary>
    /// <typeparam name="T">The decoded type.</typeparam>
    /// <param name="idAndCount">The row's <see cref="IdColumn"/>.</param>
    /// <param name="chunks">The row's <see cref="ChunksColumn"/> (ML.NET gives null for an empty vector).</param>
    /// <param name="decode">Builds the state from its bytes.</param>
    /// <exception cref="InvalidDataException">The state is not cached and the row carries no or incomplete chunks.</exception>
    public static T Resolve<T>(string? idAndCount, string[]? chunks, Func<byte[], T> decode)
        where T : class
    {
        var (id, count) = Parse(idAndCount);
        if (Decoded.TryGetValue(id, out var cached))
        {
            return (T)cached;
        }

        if (chunks is null || chunks.Length != count)
        {
            throw new InvalidDataException($"The saved state {id} needs {count} chunks but the row carries {chunks?.Length ?? 0}. "
                + "Hint: the model file is damaged, or its state columns were changed; load it again with mlContext.Model.Load.");
        }

        using var bytes = new MemoryStream();
        foreach (string chunk in chunks)
        {
            bytes.Write(Convert.FromBase64String(chunk));
        }

        byte[] state = bytes.ToArray();
        if (StateBundle.IdOf(state) != id)
        {
            throw new InvalidDataException($"The saved state {id} does not match its chunks (hash {StateBundle.IdOf(state)}). Hint: the model file is damaged.");
        }

        return (T)Decoded.GetOrAdd(id, _ => decode(state));
    }

    /// <summary>Makes decoded state available to saved pipelines of this process without reading their chunks.</summary>
    public static void Remember(byte[] state, object decoded) => Decoded.TryAdd(StateBundle.IdOf(state), decoded);

    private static (string Id, int Count) Parse(string? idAndCount)
    {
        int bar = idAndCount?.IndexOf('|') ?? -1;
        if (bar <= 0 || !int.TryParse(idAndCount.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            throw new InvalidDataException($"The saved state id '{idAndCount}' is not 'id|count'. Hint: the model file is damaged.");
        }

        return (idAndCount![..bar], count);
    }
}
