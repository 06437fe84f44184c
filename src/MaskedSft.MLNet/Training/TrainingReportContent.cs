// What report.html shows beyond the run directory's files: the result, model, dataset, configuration, decoder, extra tables.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Reporting;

namespace MaskedSft.MLNet.Training;

/// <summary>The inputs of <see cref="TrainingReportHtml"/> (the curves come from the run's metrics.jsonl).</summary>
public sealed record TrainingReportContent
{
    /// <summary>The run's result (outcome, final losses, hard examples).</summary>
    public required TrainingResult Result { get; init; }

    /// <summary>A one-line description of the model.</summary>
    public required string Model { get; init; }

    /// <summary>The training dataset's directory (its first episodes make the mask view); empty for none.</summary>
    public required string DatasetPath { get; init; }

    /// <summary>The run's settings as (name, value) rows (see <see cref="TrainingReportHtml.ConfigurationOf"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Configuration { get; init; } = [];

    /// <summary>Decodes token ids in the mask view; null shows ids.</summary>
    public ITokenDecoder? Decoder { get; init; }

    /// <summary>Episodes shown in the mask view (default 3; 0 leaves it out).</summary>
    public int MaskViewEpisodes { get; init; } = 3;

    /// <summary>Further tables (e.g. the testing kit's checks of the trained model).</summary>
    public IReadOnlyList<ReportTable> Tables { get; init; } = [];
}
