// The Atropos client against the real local server on 127.0.0.1: uuid parsing, first registration wins, null batches,
// retries with backoff (503, 429, timeouts, dropped and refused connections), clear errors for the rest, gzip both ways.
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.Atropos.Server;
using MaskedSft.MLNet.Rl.Atropos;

namespace MaskedSft.MLNet.Tests.Rl.Atropos;

[TestClass]
public sealed class AtroposClientTests
{
    /// <summary>Short delays so retries and polls take milliseconds.</summary>
    internal static readonly AtroposClientOptions Fast = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(5),
        MaxRetries = 4,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        PollInitialDelay = TimeSpan.FromMilliseconds(10),
        PollMaxDelay = TimeSpan.FromMilliseconds(80),
    };

    private static AtroposRegistration Registration(int batchSize = 4) => new() { BatchSize = batchSize, MaxTokenLength = 64, NumSteps = 10 };

    private static AtroposScoredData Group(int size, int tag) => new()
    {
        Tokens = Enumerable.Range(0, size).Select(i => new[] { tag, i + 1, 7 }).ToArray(),
        Masks = Enumerable.Range(0, size).Select(i => new[] { -100, i + 1, 7 }).ToArray(),
        Scores = Enumerable.Range(0, size).Select(i => (double)i).ToArray(),
        GenerationParams = new JsonObject { [AtroposGroupIds.Key] = $"g{tag}" },
    };

    [TestMethod]
    public async Task Register_Uuid_IsA128BitVersion4IntegerAndTheFirstRegistrationWins()
    {
        await using var server = await AtroposServer.StartAsync();
        using var client = new AtroposClient(server.BaseAddress, Fast);
        Assert.AreEqual(new AtroposInfo(-1, -1), await client.GetInfoAsync(), "no trainer yet");
        var first = await client.RegisterAsync(Registration(batchSize: 4));
        var second = await client.RegisterAsync(Registration(batchSize: 16) with { MaxTokenLength = 8 });
        Assert.AreNotEqual(first, second);
        foreach (var uuid in new[] { first, second })
        {
            Assert.IsTrue(uuid > BigInteger.Zero && uuid < BigInteger.One << 128);
            Assert.AreEqual(4, (int)((uuid >> 76) & 0xF), "uuid4: version nibble");
        }

        Assert.AreEqual(new AtroposInfo(4, 64), await client.GetInfoAsync(), "the first registration wins");
    }

    [TestMethod]
    public void ParseUuid_AcceptsIntegersUpTo2To128_RejectsTheRest()
    {
        static JsonElement E(string json) => JsonDocument.Parse(json).RootElement;
        var max = (BigInteger.One << 128) - 1;
        Assert.AreEqual(max, AtroposClient.ParseUuid("r", E(max.ToString())));
        Assert.AreEqual(new BigInteger(42), AtroposClient.ParseUuid("r", E("\"42\"")));
        foreach (var bad in new[] { (max + 1).ToString(), "-1", "1.5", "null", "\"abc\"" })
        {
            var e = Assert.ThrowsExactly<AtroposException>(() => AtroposClient.ParseUuid("POST /register", E(bad)));
            StringAssert.Contains(e.Message, "POST /register: 'uuid'");
        }
    }

    [TestMethod]
    public async Task GetBatch_NotRegistered_NullUntilExactlyBatchSizeThenStepCounts()
    {
        await using var server = await AtroposServer.StartAsync();
        using var client = new AtroposClient(server.BaseAddress, Fast);
        var e = await Assert.ThrowsExactlyAsync<AtroposException>(() => client.GetBatchAsync());
        Assert.IsTrue(e.NotRegistered, e.Message);
        await client.RegisterAsync(Registration(batchSize: 4) with { StartingStep = 7 });
        Assert.IsNull(await client.GetBatchAsync(), "empty queue: {\"batch\": null}");
        await client.PostScoredDataAsync(Group(2, 1));
        Assert.IsNull(await client.GetBatchAsync(), "2 of 4 sequences");
        Assert.AreEqual(1, await client.PostScoredDataListAsync([Group(2, 2)]));
        var batch = (await client.GetBatchAsync())!;
        CollectionAssert.AreEqual(new[] { "g1", "g2" }, batch.Select(AtroposGroupIds.Of).ToArray());
        Assert.AreEqual(4, batch.Sum(g => g.Count));
        Assert.AreEqual(new AtroposStatus(8, 0), await client.GetStatusAsync(), "starting_step 7 + one batch");
    }

    [TestMethod]
    public async Task WaitForBatch_PollsWithBackoffUntilAnEnvironmentPosts()
    {
        await using var server = await AtroposServer.StartAsync();
        using var client = new AtroposClient(server.BaseAddress, Fast);
        await client.RegisterAsync(Registration(batchSize: 2));
        var post = Task.Run(async () =>
        {
            await Task.Delay(300);
            await client.PostScoredDataAsync(Group(2, 5));
        });
        var polled = await client.WaitForBatchAsync();
        await post;
        Assert.AreEqual("g5", AtroposGroupIds.Of(polled.Groups.Single()));
        Assert.IsGreaterThan(1, polled.EmptyPolls);
        Assert.IsLessThan(300 / 10, polled.EmptyPolls, "the delay doubled between polls (without backoff, 10 ms polls would be ~30)");
        Assert.IsGreaterThanOrEqualTo(0.25, polled.Waited.TotalSeconds);

        using var impatient = new AtroposClient(server.BaseAddress, Fast with { PollTimeout = TimeSpan.FromMilliseconds(100) });
        await Assert.ThrowsExactlyAsync<TimeoutException>(() => impatient.WaitForBatchAsync());
    }

    [TestMethod]
    public async Task TransientFailures_503_429_Timeout_Abort_AreRetriedWithoutLosingTheBatch()
    {
        await using var server = await AtroposServer.StartAsync();
        using var client = new AtroposClient(server.BaseAddress, Fast with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var retries = new List<string>();
        client.Retrying += (route, attempt, delay, what) => retries.Add($"{route} #{attempt}: {what}");
        await client.RegisterAsync(Registration(batchSize: 2));
        await client.PostScoredDataAsync(Group(2, 9));
        server.Faults.Add("GET /batch", new AtroposFault(AtroposFaultKind.Status, 503));
        server.Faults.Add("GET /batch", new AtroposFault(AtroposFaultKind.Status, 429, RetryAfterSeconds: 0));
        server.Faults.Add("GET /batch", new AtroposFault(AtroposFaultKind.Hang, Delay: TimeSpan.FromSeconds(3)));
        server.Faults.Add("GET /batch", new AtroposFault(AtroposFaultKind.Abort));
        var batch = await client.GetBatchAsync();
        Assert.AreEqual("g9", AtroposGroupIds.Of(batch!.Single()), "the batch survives four failed attempts: faults never dequeue");
        Assert.AreEqual(4, client.Retries, string.Join("\n", retries));
        StringAssert.Contains(retries[0], "GET /batch #1: HTTP 503");
        StringAssert.Contains(retries[1], "HTTP 429");
        StringAssert.Contains(retries[2], "timed out");
        Assert.AreEqual(1, server.State.BatchesServed);
    }

    [TestMethod]
    public async Task RetriesExhausted_OrNonTransientStatus_ClearError()
    {
        await using var server = await AtroposServer.StartAsync();
        using var client = new AtroposClient(server.BaseAddress, Fast with { MaxRetries = 2 });
        server.Faults.Add("GET /status", new AtroposFault(AtroposFaultKind.Status, 503), count: 3);
        var e = await Assert.ThrowsExactlyAsync<AtroposException>(() => client.GetStatusAsync());
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        StringAssert.Contains(e.Message, "GET /status: HTTP 503 Service Unavailable after 3 attempts");
        Assert.AreEqual(2, client.Retries);

        server.Faults.Add("GET /status", new AtroposFault(AtroposFaultKind.Status, 404));
        e = await Assert.ThrowsExactlyAsync<AtroposException>(() => client.GetStatusAsync());
        Assert.AreEqual(HttpStatusCode.NotFound, e.StatusCode);
        Assert.AreEqual(2, client.Retries, "a 404 is not retried");

        var bad = Group(1, 1) with { Messages = new JsonArray(new JsonArray(new JsonObject { ["role"] = "user" })) };
        e = await Assert.ThrowsExactlyAsync<AtroposException>(() => client.PostScoredDataAsync(bad));
        Assert.AreEqual(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        StringAssert.Contains(e.Message, "Message must have 'role' and 'content'");
        Assert.AreEqual(2, client.Retries, "a 422 is not retried");
    }

    [TestMethod]
    public async Task ConnectionRefused_RetriedUntilTheServerComesUp()
    {
        var port = FreePort();
        using var client = new AtroposClient(new Uri($"http://127.0.0.1:{port}"), Fast with { MaxRetries = 10, RetryMaxDelay = TimeSpan.FromMilliseconds(100) });
        var start = Task.Run(async () =>
        {
            await Task.Delay(400);
            return await AtroposServer.StartAsync(new AtroposServerOptions { Port = port });
        });
        var info = await client.GetInfoAsync();
        await using var server = await start;
        Assert.AreEqual(-1, info.BatchSize);
        Assert.IsGreaterThanOrEqualTo(1, client.Retries, "refused connections were retried");

        using var nobody = new AtroposClient(new Uri($"http://127.0.0.1:{FreePort()}"), Fast with { MaxRetries = 1 });
        var e = await Assert.ThrowsExactlyAsync<AtroposException>(() => nobody.GetInfoAsync());
        StringAssert.Contains(e.Message, "GET /info: no answer from");
        StringAssert.Contains(e.Message, "after 2 attempts");
    }

    [TestMethod]
    public async Task Gzip_AnswersCompressedWhenAccepted_RequestsInflated()
    {
        await using var server = await AtroposServer.StartAsync();
        using var client = new AtroposClient(server.BaseAddress, Fast with { CompressRequests = true });
        await client.RegisterAsync(Registration(batchSize: 64));
        var big = Group(64, 3);
        Assert.AreEqual("received", await client.PostScoredDataAsync(big), "a gzip body is inflated by the server");

        using var raw = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "latest_example");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await raw.SendAsync(request);
        CollectionAssert.Contains(response.Content.Headers.ContentEncoding.ToList(), "gzip");
        var compressed = await response.Content.ReadAsByteArrayAsync();
        Assert.AreEqual(0x1f, compressed[0]);
        Assert.AreEqual(0x8b, compressed[1]);

        var batch = (await client.GetBatchAsync())!;
        Assert.AreEqual(64, batch.Single().Count, "the client inflates gzip answers");
        CollectionAssert.AreEqual(big.Tokens[63], batch[0].Tokens[63]);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
