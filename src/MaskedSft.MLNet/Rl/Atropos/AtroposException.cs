// A failed Atropos API call: which route, the HTTP status (if any), the server's message, and a hint.
using System.Net;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>An Atropos API call failed for a reason retrying does not fix (a 4xx answer, an answer that is not the
/// expected JSON, an error status in the body), or failed transiently more often than the retries allow. The message names
/// the method and route, the status and the start of the body.</summary>
public sealed class AtroposException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="route">The method and route, e.g. <c>GET /batch</c>.</param>
    /// <param name="message">What went wrong (with a hint).</param>
    /// <param name="statusCode">The HTTP status, when an answer came.</param>
    /// <param name="inner">The underlying exception.</param>
    public AtroposException(string route, string message, HttpStatusCode? statusCode = null, Exception? inner = null)
        : base($"{route}: {message}", inner)
    {
        Route = route;
        StatusCode = statusCode;
    }

    /// <summary>The method and route that failed.</summary>
    public string Route { get; }

    /// <summary>The HTTP status of the answer; null when none came (connection refused, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>True when the server said the trainer is not registered (it restarted and lost its state, or /register was
    /// never called); the trainer registers again.</summary>
    public bool NotRegistered { get; init; }
}
