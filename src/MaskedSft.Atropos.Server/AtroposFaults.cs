// Injected failures of the local server (for tests and demos of the client's retries): error statuses, hangs, dropped connections.
using System.Collections.Concurrent;

namespace MaskedSft.Atropos.Server;

/// <summary>What an injected fault does to one request; the route's handler never runs, so nothing is dequeued.</summary>
public enum AtroposFaultKind
{
    /// <summary>Answers the given HTTP status (e.g. 503) with a short text body.</summary>
    Status,

    /// <summary>Waits the given delay (longer than the client's timeout), then answers 503.</summary>
    Hang,

    /// <summary>Aborts the connection without an answer.</summary>
    Abort,
}

/// <summary>A fault to inject into the next requests of one route.</summary>
/// <param name="Kind">What happens.</param>
/// <param name="StatusCode">The status of <see cref="AtroposFaultKind.Status"/>.</param>
/// <param name="Delay">The wait of <see cref="AtroposFaultKind.Hang"/>.</param>
/// <param name="RetryAfterSeconds">A Retry-After header to send with a status, or null.</param>
public sealed record AtroposFault(AtroposFaultKind Kind, int StatusCode = 503, TimeSpan Delay = default, int? RetryAfterSeconds = null);

/// <summary>Pending faults per route (<c>GET /batch</c>, <c>POST /scored_data</c>...), consumed one per request; counts what was injected.</summary>
public sealed class AtroposFaults
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<AtroposFault>> _pending = new(StringComparer.OrdinalIgnoreCase);
    private long _injected;

    /// <summary>Faults injected so far.</summary>
    public long Injected => Interlocked.Read(ref _injected);

    /// <summary>Makes the next <paramref name="count"/> requests of a route fail.</summary>
    /// <param name="route">Method and path, e.g. <c>GET /batch</c>.</param>
    /// <param name="fault">The fault.</param>
    /// <param name="count">How many requests it hits.</param>
    public void Add(string route, AtroposFault fault, int count = 1)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(fault);
        var queue = _pending.GetOrAdd(route, _ => new ConcurrentQueue<AtroposFault>());
        for (var i = 0; i < count; i++) queue.Enqueue(fault);
    }

    /// <summary>Takes the next fault of a route, if any.</summary>
    /// <param name="route">Method and path.</param>
    /// <param name="fault">The fault.</param>
    /// <returns>True when one was pending.</returns>
    public bool TryTake(string route, out AtroposFault fault)
    {
        fault = null!;
        if (!_pending.TryGetValue(route, out var queue) || !queue.TryDequeue(out var f)) return false;
        Interlocked.Increment(ref _injected);
        fault = f;
        return true;
    }
}
