// The rows of the GRPO ML.NET components: a prompt's token ids in, the fitted policy's completion and its reward out.
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>An input row of <see cref="GrpoTrainer"/>: the prompt's token ids (column <c>PromptTokens</c>, a vector of Int32).</summary>
public sealed class GrpoPromptRow
{
    /// <summary>The column name.</summary>
    public const string ColumnName = "PromptTokens";

    /// <summary>The prompt's token ids.</summary>
    [ColumnName(ColumnName)]
    public int[]? PromptTokens { get; set; }
}

/// <summary>An output row of <see cref="GrpoTransformer"/>: the greedy completion of the trained policy and its reward.</summary>
public sealed class GrpoCompletionRow
{
    /// <summary>The greedy completion's token ids.</summary>
    public int[] Completion { get; set; } = [];

    /// <summary>The reward function's score of the completion.</summary>
    public float Reward { get; set; }
}
