// One registered environment as the server keeps it (the archived server's env dict).
using System.Text.Json.Serialization;

namespace MaskedSft.Atropos.Server;

/// <summary>A registered environment.</summary>
public sealed record AtroposEnvEntry
{
    /// <summary>The longest sequence it produces.</summary>
    [JsonPropertyName("max_context_len")]
    public int MaxContextLength { get; init; }

    /// <summary>Its share weight.</summary>
    [JsonPropertyName("weight")]
    public double Weight { get; init; } = 1.0;

    /// <summary>The name it asked for.</summary>
    [JsonPropertyName("desired_name")]
    public string DesiredName { get; init; } = "";

    /// <summary>The unique name given (<c>desired_name_N</c>).</summary>
    [JsonPropertyName("real_name")]
    public string RealName { get; init; } = "";

    /// <summary>Its id (its index in registration order).</summary>
    [JsonPropertyName("registered_id")]
    public int RegisteredId { get; init; }

    /// <summary>Unix time of its registration.</summary>
    [JsonPropertyName("last_update")]
    public double LastUpdate { get; init; }

    /// <summary>False after POST /disconnect-env.</summary>
    [JsonPropertyName("connected")]
    public bool Connected { get; set; } = true;

    /// <summary>Its minimum share of a batch, or null.</summary>
    [JsonPropertyName("min_batch_allocation")]
    public double? MinBatchAllocation { get; init; }

    /// <summary>Sequences per group (grows when larger groups of it are queued).</summary>
    [JsonPropertyName("group_size")]
    public int GroupSize { get; set; }
}
