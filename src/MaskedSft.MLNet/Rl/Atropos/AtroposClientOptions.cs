// Timeouts, retry backoff for transient HTTP failures, and the polling backoff for empty batches of the Atropos client.
namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>How <see cref="AtroposClient"/> waits: per-request timeout, retries of transient failures (5xx, 408, 429,
/// timeouts, refused or dropped connections) with exponential backoff, and the backoff between polls that find no batch.</summary>
public sealed record AtroposClientOptions
{
    /// <summary>The time one HTTP attempt may take before it counts as a transient timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt of a request that failed transiently (then the last failure is thrown).</summary>
    public int MaxRetries { get; init; } = 8;

    /// <summary>The first retry's delay; each further retry doubles it (with jitter), up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>The longest delay between two attempts (a server's Retry-After is honoured up to this).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether retry delays are jittered (on by default, so many clients do not retry in lockstep).</summary>
    public bool RetryJitter { get; init; } = true;

    /// <summary>The wait after the first empty batch (<c>{"batch": null}</c>); it doubles per empty poll up to <see cref="PollMaxDelay"/>.</summary>
    public TimeSpan PollInitialDelay { get; init; } = TimeSpan.FromSeconds(0.25);

    /// <summary>The longest wait between two polls for a batch.</summary>
    public TimeSpan PollMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for a batch in all before giving up with a <see cref="TimeoutException"/>; null waits forever.</summary>
    public TimeSpan? PollTimeout { get; init; }

    /// <summary>Whether POST bodies are sent gzip-compressed (Content-Encoding: gzip; the server inflates them).</summary>
    public bool CompressRequests { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryBaseDelay, TimeSpan.Zero, nameof(RetryBaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryBaseDelay, nameof(RetryMaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInitialDelay, TimeSpan.Zero, nameof(PollInitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(PollMaxDelay, PollInitialDelay, nameof(PollMaxDelay));
        if (PollTimeout is { } t) ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero, nameof(PollTimeout));
    }
}
