// Who wrote an episode dataset, when and from what (dataset.json's `created`).
namespace MaskedSft.MLNet.Data;

/// <summary>Creation information of a dataset.</summary>
public sealed class DatasetCreationInfo
{
    /// <summary>When the dataset was completed (UTC, ISO-8601).</summary>
    public DateTimeOffset Utc { get; set; }

    /// <summary>The writing tool and its version.</summary>
    public string? Tool { get; set; }

    /// <summary>The machine that wrote the dataset.</summary>
    public string? Host { get; set; }

    /// <summary>An optional description of the source data (a file name, a command line).</summary>
    public string? Source { get; set; }
}
