// The local Atropos-compatible API server: Kestrel on loopback, the archived server's routes over AtroposServerState.
using System.Net;
using System.Text;
using System.Text.Json;
using MaskedSft.MLNet.Rl.Atropos;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MaskedSft.Atropos.Server;

/// <summary>
/// An Atropos API server for tests and demos, with the archived NousResearch server's routes: <c>GET /</c>,
/// <c>POST /register</c>, <c>POST /register-env</c>, <c>POST /disconnect-env</c>, <c>GET /wandb_info</c>, <c>GET /info</c>,
/// <c>GET /batch</c>, <c>GET /latest_example</c>, <c>POST /scored_data</c>, <c>POST /scored_data_list</c>, <c>GET /status</c>,
/// <c>GET /status-env</c> and <c>GET /reset_data</c> (semantics: <see cref="AtroposServerState"/>). Answers are gzip-compressed
/// when the client accepts it; gzip request bodies are inflated. A body that does not fit the route's model is answered
/// 422 with the reason, as pydantic does. <see cref="Faults"/> injects failures.
/// </summary>
public sealed class AtroposServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TextWriter? _log;

    private AtroposServer(WebApplication app, AtroposServerState state, TextWriter? log)
    {
        _app = app;
        State = state;
        _log = log;
    }

    /// <summary>The state behind the routes.</summary>
    public AtroposServerState State { get; }

    /// <summary>Failures to inject into the next requests.</summary>
    public AtroposFaults Faults { get; } = new();

    /// <summary>The address the server listens on, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The port it listens on.</summary>
    public int Port => BaseAddress.Port;

    /// <summary>Starts a server.</summary>
    /// <param name="options">Host, port, state file and log; null = loopback on a free port, in memory.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="IOException">The port is in use.</exception>
    /// <exception cref="InvalidDataException">The state file is not a server state.</exception>
    public static async Task<AtroposServer> StartAsync(AtroposServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new AtroposServerOptions();
        var state = new AtroposServerState(options.StatePath);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Parse(options.Host), options.Port));
        builder.Services.AddResponseCompression(o =>
        {
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["application/json", "text/plain"];
        });
        builder.Services.AddRequestDecompression();
        var app = builder.Build();
        var server = new AtroposServer(app, state, options.Log);
        app.UseResponseCompression();
        app.UseRequestDecompression();
        app.Use(server.InjectFaults);
        server.MapRoutes();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Stops listening (the state file, if any, already holds everything).</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until the server is stopped (e.g. by Ctrl+C through the token).</summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>A task.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    private async Task InjectFaults(HttpContext context, RequestDelegate next)
    {
        var route = $"{context.Request.Method} {context.Request.Path}";
        if (!Faults.TryTake(route, out var fault))
        {
            await next(context).ConfigureAwait(false);
            _log?.WriteLine($"{route} -> {context.Response.StatusCode}");
            return;
        }

        _log?.WriteLine($"{route} -> injected {fault.Kind} {(fault.Kind == AtroposFaultKind.Status ? fault.StatusCode : string.Empty)}");
        switch (fault.Kind)
        {
            case AtroposFaultKind.Abort:
                context.Abort();
                return;
            case AtroposFaultKind.Hang:
                try
                {
                    await Task.Delay(fault.Delay, context.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                context.Response.StatusCode = 503;
                return;
            default:
                context.Response.StatusCode = fault.StatusCode;
                if (fault.RetryAfterSeconds is { } s) context.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.Response.WriteAsync($"injected fault: HTTP {fault.StatusCode}", context.RequestAborted).ConfigureAwait(false);
                return;
        }
    }

    private void MapRoutes()
    {
        _app.MapGet("/", () => Json(new { message = "AtroposLib API" }));
        _app.MapPost("/register", async context =>
        {
            if (await ReadBody<AtroposRegistration>(context) is not { } registration) return;
            var uuid = State.Register(registration);
            await WriteRaw(context, $"{{\"uuid\": {uuid.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}");
        });
        _app.MapPost("/register-env", async context =>
        {
            if (await ReadBody<AtroposEnvRegistration>(context) is not { } registration) return;
            var result = State.RegisterEnv(registration);
            await WriteJson(context, result.Registered ? result : new Dictionary<string, object> { ["status"] = result.Status });
        });
        _app.MapPost("/disconnect-env", async context =>
        {
            if (await ReadBody<EnvIdentifier>(context) is not { } env) return;
            await WriteJson(context, State.DisconnectEnv(env.EnvId)
                ? new Dictionary<string, object> { ["status"] = "success" }
                : new Dictionary<string, object> { ["status"] = "failure", ["error"] = "list index out of range" });
        });
        _app.MapGet("/wandb_info", () =>
        {
            var reg = State.Registration;
            return Json(new Dictionary<string, object?> { ["group"] = reg?.WandbGroup, ["project"] = reg?.WandbProject });
        });
        _app.MapGet("/info", () =>
        {
            var reg = State.Registration;
            return Json(new AtroposInfo(reg?.BatchSize ?? -1, reg?.MaxTokenLength ?? -1));
        });
        _app.MapGet("/batch", async context =>
        {
            var batch = State.NextBatch(out var notRegistered);
            if (notRegistered)
            {
                await WriteJson(context, new Dictionary<string, object> { ["status"] = "error", ["message"] = "Trainer not registered. Call /register first.", ["batch"] = Array.Empty<object>() });
                return;
            }

            await WriteJson(context, new Dictionary<string, object?> { ["batch"] = batch });
        });
        _app.MapGet("/latest_example", async context =>
        {
            await WriteJson(context, State.Latest() is { } latest ? latest : new Dictionary<string, object[]>
            {
                ["tokens"] = [], ["masks"] = [], ["scores"] = [], ["advantages"] = [], ["ref_logprobs"] = [],
                ["generation_params"] = [], ["inference_logprobs"] = [], ["messages"] = [], ["images"] = [],
            });
        });
        _app.MapPost("/scored_data", async context =>
        {
            if (await ReadBody<AtroposScoredData>(context) is not { } group) return;
            if (CheckGroupError(group) is { Length: > 0 } error)
            {
                await WriteUnprocessable(context, error);
                return;
            }

            var (status, buffer) = State.Receive(group);
            await WriteJson(context, buffer is { } b ? new Dictionary<string, object> { ["status"] = status, ["buffer_size"] = b } : new Dictionary<string, object> { ["status"] = status });
        });
        _app.MapPost("/scored_data_list", async context =>
        {
            if (await ReadBody<AtroposScoredData[]>(context) is not { } groups) return;
            for (var i = 0; i < groups.Length; i++)
            {
                var error = groups[i] is null ? "null" : CheckGroupError(groups[i]);
                if (error.Length > 0)
                {
                    await WriteUnprocessable(context, $"item {i}: {error}");
                    return;
                }
            }

            var (buffered, last) = State.ReceiveAll(groups);
            var answer = new Dictionary<string, object> { ["status"] = "received", ["groups_processed"] = groups.Length };
            if (buffered > 0)
            {
                answer["buffered"] = buffered;
                if (last is { } l) answer["last_buffer_size"] = l;
            }

            await WriteJson(context, answer);
        });
        _app.MapGet("/status", () => Json(new AtroposStatus(State.Step, State.QueueSize)));
        _app.MapGet("/status-env", async context =>
        {
            if (await ReadBody<EnvIdentifier>(context) is not { } env) return;
            if (State.EnvStatus(env.EnvId) is not { } status)
            {
                await WriteUnprocessable(context, $"no environment with env_id {env.EnvId}");
                return;
            }

            await WriteJson(context, status);
        });
        _app.MapGet("/reset_data", () =>
        {
            State.Reset();
            return Results.Text("Reset successful");
        });
    }

    /// <summary>The validation pydantic applies to messages (role and content in every message); empty when valid.</summary>
    private static string CheckGroupError(AtroposScoredData group)
    {
        if (group.Messages is null) return "";
        foreach (var list in group.Messages)
        {
            if (list is not System.Text.Json.Nodes.JsonArray messages) return "messages: expected a list of message lists";
            foreach (var message in messages)
            {
                if (message is not System.Text.Json.Nodes.JsonObject m || !m.ContainsKey("role") || !m.ContainsKey("content"))
                    return "messages: Message must have 'role' and 'content' fields";
            }
        }

        return "";
    }

    private static IResult Json(object value) => Results.Json(value, AtroposJson.Options);

    private static Task WriteJson(HttpContext context, object value) =>
        context.Response.WriteAsJsonAsync(value, value.GetType(), AtroposJson.Options, context.RequestAborted);

    private static Task WriteRaw(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, Encoding.UTF8, context.RequestAborted);
    }

    private static Task WriteUnprocessable(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["detail"] = message }, AtroposJson.Options, context.RequestAborted);
    }

    /// <summary>Reads a JSON body; answers 422 (and returns null) when it does not fit <typeparamref name="T"/>.</summary>
    private static async Task<T?> ReadBody<T>(HttpContext context) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, AtroposJson.Options, context.RequestAborted);
            if (value is not null) return value;
            await WriteUnprocessable(context, "the body is null");
        }
        catch (JsonException e)
        {
            await WriteUnprocessable(context, $"{e.Message} (path {e.Path})");
        }

        return null;
    }

    private sealed record EnvIdentifier([property: System.Text.Json.Serialization.JsonPropertyName("env_id")] int EnvId);
}
