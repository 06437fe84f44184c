// GET /status and GET /info answers: the server's step counter, queue length, batch size and maximum token length.
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>The answer to GET /status.</summary>
/// <param name="CurrentStep">The server's step counter: starting_step plus the batches formed so far.</param>
/// <param name="QueueSize">Groups waiting in the queue (not yet in a batch).</param>
public sealed record AtroposStatus(
    [property: JsonPropertyName("current_step")] long CurrentStep,
    [property: JsonPropertyName("queue_size")] int QueueSize);

/// <summary>The answer to GET /info (-1 for both before a trainer registered).</summary>
/// <param name="BatchSize">Sequences per batch.</param>
/// <param name="MaxTokenLength">The longest sequence the trainer accepts.</param>
public sealed record AtroposInfo(
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("max_token_len")] int MaxTokenLength);
