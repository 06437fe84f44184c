// HTTP client of the Atropos API: registration, batch polling with backoff, status, and the environment-side routes.
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>
/// Talks to an Atropos API server (the archived NousResearch server's routes, or <c>maskedsft atropos-serve</c>): POST
/// /register, GET /batch, /info, /status for a trainer; POST /register-env, /scored_data, /scored_data_list for an
/// environment. Every request goes through one Polly pipeline: a per-attempt timeout, then retries with exponential backoff
/// (jittered, honouring Retry-After up to <see cref="AtroposClientOptions.RetryMaxDelay"/>) of transient failures: 5xx,
/// 408 and 429 answers, timeouts, refused or dropped connections. Any other failure (a 4xx, an answer that is not the
/// expected JSON, an error status in the body) is an <see cref="AtroposException"/> at once. Answers may be gzip-encoded.
/// <para>GET /batch is not idempotent on the server (it dequeues): an answer lost after the server sent it cannot be asked
/// for again; this is the Atropos protocol's limit, and docs/atropos.md says what the trainer does about it.</para>
/// </summary>
public sealed class AtroposClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private long _retries;

    /// <summary>Creates a client for a server.</summary>
    /// <param name="baseAddress">The server's address, e.g. <c>http://127.0.0.1:8000</c>.</param>
    /// <param name="options">Timeouts, retries and polling; null = defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="baseAddress"/> is null.</exception>
    /// <exception cref="ArgumentException">The address is not absolute http(s).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public AtroposClient(Uri baseAddress, AtroposClientOptions? options = null)
        : this(baseAddress, options, null)
    {
    }

    /// <summary>Creates a client that sends through a caller's handler (e.g. a proxy or a socket handler with custom
    /// settings); the handler must decompress gzip answers itself when the server compresses.</summary>
    /// <param name="baseAddress">The server's address.</param>
    /// <param name="options">Timeouts, retries and polling; null = defaults.</param>
    /// <param name="handler">The handler; null creates one with automatic gzip/deflate decompression.</param>
    /// <exception cref="ArgumentNullException"><paramref name="baseAddress"/> is null.</exception>
    /// <exception cref="ArgumentException">The address is not absolute http(s).</exception>
    public AtroposClient(Uri baseAddress, AtroposClientOptions? options, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"'{baseAddress}' is not an absolute http(s) address. Hint: e.g. http://127.0.0.1:8000.", nameof(baseAddress));
        Options = options ?? new AtroposClientOptions();
        Options.Validate();
        BaseAddress = new Uri(baseAddress.ToString().TrimEnd('/') + "/");
        handler ??= new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate, ConnectTimeout = Options.RequestTimeout };
        _http = new HttpClient(handler, disposeHandler: true) { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        _ownsHttp = true;
        _pipeline = BuildPipeline();
    }

    /// <summary>Raised before each retry: the route, the retry's number (1-based), the delay, and what failed.</summary>
    public event Action<string, int, TimeSpan, string>? Retrying;

    /// <summary>The server's address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The options.</summary>
    public AtroposClientOptions Options { get; }

    /// <summary>Retries made so far by this client (all routes).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>POST /register: registers a trainer. The first registration a server receives sets its run; later ones get
    /// a new uuid only.</summary>
    /// <param name="registration">The registration.</param>
    /// <param name="cancellationToken">Cancels waiting and retrying.</param>
    /// <returns>The uuid the server assigned: a 128-bit integer (Python's <c>uuid4().int</c>), written as a JSON number.</returns>
    /// <exception cref="AtroposException">The server refused, or the answer has no integer uuid.</exception>
    public async Task<BigInteger> RegisterAsync(AtroposRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        const string route = "POST /register";
        using var doc = await SendAsync(route, HttpMethod.Post, "register", registration, cancellationToken).ConfigureAwait(false);
        if (!doc.RootElement.TryGetProperty("uuid", out var uuid))
            throw new AtroposException(route, $"the answer has no 'uuid': {Excerpt(doc.RootElement.GetRawText())}. Hint: is this an Atropos API server?");
        return ParseUuid(route, uuid);
    }

    /// <summary>GET /batch once: the next batch's groups, or null when the server has none ready (<c>{"batch": null}</c>).</summary>
    /// <param name="cancellationToken">Cancels waiting and retrying.</param>
    /// <returns>The groups of one batch (their sequences add up to the registered batch size), or null.</returns>
    /// <exception cref="AtroposException">The server answered an error (<see cref="AtroposException.NotRegistered"/> when the
    /// trainer is not registered) or something that is not a batch.</exception>
    public async Task<IReadOnlyList<AtroposScoredData>?> GetBatchAsync(CancellationToken cancellationToken = default)
    {
        const string route = "GET /batch";
        using var doc = await SendAsync(route, HttpMethod.Get, "batch", null, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new AtroposException(route, $"expected a JSON object, got {root.ValueKind}: {Excerpt(root.GetRawText())}.");
        if (root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String && status.GetString() == "error")
        {
            var message = root.TryGetProperty("message", out var m) ? m.ToString() : "(no message)";
            throw new AtroposException(route, $"the server answered an error: {message}")
            {
                NotRegistered = message.Contains("not registered", StringComparison.OrdinalIgnoreCase),
            };
        }

        if (!root.TryGetProperty("batch", out var batch))
            throw new AtroposException(route, $"the answer has no 'batch': {Excerpt(root.GetRawText())}.");
        if (batch.ValueKind == JsonValueKind.Null) return null;
        if (batch.ValueKind != JsonValueKind.Array)
            throw new AtroposException(route, $"'batch' is {batch.ValueKind}, expected an array of groups or null.");
        try
        {
            var groups = batch.Deserialize<AtroposScoredData[]>(AtroposJson.Options)!;
            for (var g = 0; g < groups.Length; g++)
            {
                if (groups[g] is null) throw new AtroposException(route, $"batch[{g}] is null, expected a group.");
            }

            return groups;
        }
        catch (JsonException e)
        {
            throw new AtroposException(route, $"a group of the batch is not ScoredData ({e.Message}; path {e.Path}).", inner: e);
        }
    }

    /// <summary>Polls GET /batch until a batch comes: after each empty answer it waits <see cref="AtroposClientOptions.PollInitialDelay"/>,
    /// doubling up to <see cref="AtroposClientOptions.PollMaxDelay"/> (transient failures are retried underneath).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The batch, with the number of empty answers before it and the time waited.</returns>
    /// <exception cref="TimeoutException">No batch came within <see cref="AtroposClientOptions.PollTimeout"/>.</exception>
    /// <exception cref="AtroposException">A request failed for good.</exception>
    public async Task<AtroposPolledBatch> WaitForBatchAsync(CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var delay = Options.PollInitialDelay;
        var empty = 0;
        while (true)
        {
            var groups = await GetBatchAsync(cancellationToken).ConfigureAwait(false);
            if (groups is not null) return new AtroposPolledBatch(groups, empty, started.Elapsed);
            empty++;
            if (Options.PollTimeout is { } limit && started.Elapsed + delay > limit)
                throw new TimeoutException($"GET /batch: no batch within {limit.TotalSeconds:F1} s ({empty} empty answers). Hint: are environments posting scored data to {BaseAddress}? `maskedsft atropos-env --api {BaseAddress}` runs a synthetic one.");
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.PollMaxDelay.Ticks));
        }
    }

    /// <summary>GET /info: the registered batch size and maximum token length (-1 each before a trainer registered).</summary>
    /// <param name="cancellationToken">Cancels waiting and retrying.</param>
    /// <returns>The info.</returns>
    /// <exception cref="AtroposException">The request failed for good.</exception>
    public Task<AtroposInfo> GetInfoAsync(CancellationToken cancellationToken = default) => GetAsync<AtroposInfo>("GET /info", "info", cancellationToken);

    /// <summary>GET /status: the server's step counter and queue length.</summary>
    /// <param name="cancellationToken">Cancels waiting and retrying.</param>
    /// <returns>The status.</returns>
    /// <exception cref="AtroposException">The request failed for good.</exception>
    public Task<AtroposStatus> GetStatusAsync(CancellationToken cancellationToken = default) => GetAsync<AtroposStatus>("GET /status", "status", cancellationToken);

    /// <summary>POST /register-env: registers an environment (answered <c>wait for trainer to start</c> until the trainer's
    /// first GET /batch).</summary>
    /// <param name="registration">The environment's registration.</param>
    /// <param name="cancellationToken">Cancels waiting and retrying.</param>
    /// <returns>The answer.</returns>
    /// <exception cref="AtroposException">The request failed for good.</exception>
    public async Task<AtroposEnvRegistrationResult> RegisterEnvAsync(AtroposEnvRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        const string route = "POST /register-env";
        using var doc = await SendAsync(route, HttpMethod.Post, "register-env", registration, cancellationToken).ConfigureAwait(false);
        return Deserialize<AtroposEnvRegistrationResult>(route, doc);
    }

    /// <summary>POST /scored_data: posts one scored group.</summary>
    /// <param name="group">The group.</param>
    /// <param name="cancellationToken">Cancels waiting and retrying.</param>
    /// <returns>The server's status: <c>received</c> (queued) or <c>buffered</c> (kept until groups of the environment sum to its group size).</returns>
    /// <exception cref="AtroposException">The request failed for good.</exception>
    public async Task<string> PostScoredDataAsync(AtroposScoredData group, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        const string route = "POST /scored_data";
        using var doc = await SendAsync(route, HttpMethod.Post, "scored_data", group, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.TryGetProperty("status", out var s) ? s.ToString() : throw new AtroposException(route, $"the answer has no 'status': {Excerpt(doc.RootElement.GetRawText())}.");
    }

    /// <summary>POST /scored_data_list: posts several scored groups in one request.</summary>
    /// <param name="groups">The groups.</param>
    /// <param name="cancellationToken">Cancels waiting and retrying.</param>
    /// <returns>The number of groups the server processed.</returns>
    /// <exception cref="AtroposException">The request failed for good.</exception>
    public async Task<int> PostScoredDataListAsync(IReadOnlyList<AtroposScoredData> groups, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groups);
        const string route = "POST /scored_data_list";
        using var doc = await SendAsync(route, HttpMethod.Post, "scored_data_list", groups, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.TryGetProperty("groups_processed", out var n) && n.TryGetInt32(out var count)
            ? count
            : throw new AtroposException(route, $"the answer has no 'groups_processed': {Excerpt(doc.RootElement.GetRawText())}.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    /// <summary>Parses a uuid written as a JSON integer (or a decimal string) into a 128-bit unsigned value.</summary>
    /// <param name="route">The route, for the error message.</param>
    /// <param name="uuid">The element.</param>
    /// <returns>The value.</returns>
    /// <exception cref="AtroposException">It is not a non-negative integer below 2^128.</exception>
    internal static BigInteger ParseUuid(string route, JsonElement uuid)
    {
        var text = uuid.ValueKind switch
        {
            JsonValueKind.Number => uuid.GetRawText(),
            JsonValueKind.String => uuid.GetString() ?? "",
            _ => "",
        };
        if (!BigInteger.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value >= BigInteger.One << 128)
            throw new AtroposException(route, $"'uuid' is {Excerpt(uuid.GetRawText())}, expected a non-negative integer below 2^128 (uuid4().int).");
        return value;
    }

    private async Task<T> GetAsync<T>(string route, string path, CancellationToken cancellationToken)
    {
        using var doc = await SendAsync(route, HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        return Deserialize<T>(route, doc);
    }

    private static T Deserialize<T>(string route, JsonDocument doc)
    {
        try
        {
            return doc.RootElement.Deserialize<T>(AtroposJson.Options) ?? throw new AtroposException(route, "the answer is null.");
        }
        catch (JsonException e)
        {
            throw new AtroposException(route, $"unexpected answer {Excerpt(doc.RootElement.GetRawText())} ({e.Message}).", inner: e);
        }
    }

    /// <summary>Sends one request through the pipeline and parses the JSON answer; non-success answers that are not retried
    /// (or still fail after the retries) and transport failures after the retries become <see cref="AtroposException"/>.</summary>
    private async Task<JsonDocument> SendAsync(string route, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        byte[]? payload = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), AtroposJson.Options);
        if (payload is not null && Options.CompressRequests) payload = Gzip(payload);
        HttpResponseMessage response;
        var context = ResilienceContextPool.Shared.Get(route, cancellationToken);
        try
        {
            response = await _pipeline.ExecuteAsync(async ctx =>
            {
                using var request = new HttpRequestMessage(method, path);
                if (payload is not null)
                {
                    request.Content = new ByteArrayContent(payload);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    if (Options.CompressRequests) request.Content.Headers.ContentEncoding.Add("gzip");
                }

                return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ctx.CancellationToken).ConfigureAwait(false);
            }, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            throw new AtroposException(route, $"no answer from {BaseAddress} after {Options.MaxRetries + 1} attempts ({Describe(e)}). Hint: is the server running (`maskedsft atropos-serve`)? --retries and the backoff options wait longer.", inner: e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var transient = IsTransient(response.StatusCode);
                throw new AtroposException(route,
                    $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(transient ? $" after {Options.MaxRetries + 1} attempts" : string.Empty)}: {Excerpt(Encoding.UTF8.GetString(bytes))}"
                    + (response.StatusCode == HttpStatusCode.UnprocessableEntity ? " Hint: the server rejected the body's fields (see the detail above)." : string.Empty),
                    response.StatusCode);
            }

            try
            {
                return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
            }
            catch (JsonException e)
            {
                throw new AtroposException(route, $"the answer is not JSON ({e.Message}): {Excerpt(Encoding.UTF8.GetString(bytes))}", response.StatusCode, e);
            }
        }
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (Options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = Options.RetryJitter,
                Delay = Options.RetryBaseDelay,
                MaxDelay = Options.RetryMaxDelay,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => IsTransient(r.StatusCode)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    var what = args.Outcome.Exception is { } e ? Describe(e) : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                    Retrying?.Invoke(args.Context.OperationKey ?? "?", args.AttemptNumber + 1, args.RetryDelay, what);
                    return default;
                },
            });
        }

        builder.AddTimeout(Options.RequestTimeout);
        return builder.Build();
    }

    /// <summary>The delay a 429/503 answer asks for (Retry-After), capped at the maximum; null lets the backoff decide.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        if (response?.Headers.RetryAfter is not { } after) return null;
        var wait = after.Delta ?? (after.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is not { } w || w <= TimeSpan.Zero) return null;
        return w > Options.RetryMaxDelay ? Options.RetryMaxDelay : w;
    }

    /// <summary>5xx, 408 (request timeout) and 429 (too many requests) are worth retrying; other statuses are not.</summary>
    internal static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status == HttpStatusCode.RequestTimeout || status == HttpStatusCode.TooManyRequests;

    private static string Describe(Exception e) => e switch
    {
        TimeoutRejectedException t => $"timed out after {t.Timeout.TotalSeconds:F1} s",
        HttpRequestException { InnerException: { } inner } h => $"{h.Message} ({inner.Message})",
        _ => e.Message,
    };

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static string Excerpt(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
