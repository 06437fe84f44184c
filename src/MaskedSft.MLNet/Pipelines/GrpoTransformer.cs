// The GRPO-trained policy as an ML.NET transformer: each prompt's greedy completion and its reward; every step's numbers.
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Training.Rl;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// What <see cref="GrpoTrainer.Fit"/> returns: <see cref="Transform"/> adds <c>Completion</c> (the trained policy's greedy
/// continuation of <c>PromptTokens</c>) and <c>Reward</c> (the reward delegate's score of it). <see cref="Steps"/> holds every
/// training step's metrics and diagnostics. The model is saved in its own format with <see cref="SaveModel"/>; the
/// reward delegate is code, so the transformer itself cannot be written into an ML.NET model zip.
/// </summary>
public sealed class GrpoTransformer : ITransformer
{
    private readonly MLContext _context;
    private readonly CompletionReward _reward;
    private readonly DecodingOptions _decoding;
    private readonly Lock _gate = new();

    internal GrpoTransformer(MLContext context, IKvCacheCausalLm model, CompletionReward reward, DecodingOptions decoding, IReadOnlyList<OnPolicyGrpoStep> steps)
    {
        _context = context;
        Model = model;
        _reward = reward;
        _decoding = decoding with { DoSample = false };
        Steps = steps;
    }

    /// <summary>The trained policy.</summary>
    public IKvCacheCausalLm Model { get; }

    /// <summary>Every training step's metrics and RL diagnostics.</summary>
    public IReadOnlyList<OnPolicyGrpoStep> Steps { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Mapping().GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Mapping().GetRowToRowMapper(inputSchema);

    /// <summary>Adds Completion and Reward to every row (lazily, as ML.NET reads the view).</summary>
    /// <param name="input">A view with a PromptTokens column.</param>
    /// <returns>The view with the two columns.</returns>
    public IDataView Transform(IDataView input) => Mapping().Transform(input);

    /// <summary>Saves the policy (its weights, or the LoRA adapter) to a folder.</summary>
    /// <param name="directory">The folder.</param>
    public void SaveModel(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Model.Save(directory);
    }

    /// <summary>Not possible: the reward is a C# delegate. Save the policy with <see cref="SaveModel"/>.</summary>
    /// <param name="ctx">Unused.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("a GrpoTransformer holds a C# reward delegate and cannot be written into an ML.NET model. Hint: save the policy with SaveModel(directory) and load it with PretrainedCausalLm.Load / LoraCausalLm.Load.");

    private ITransformer Mapping()
    {
        var estimator = _context.Transforms.CustomMapping<GrpoPromptRow, GrpoCompletionRow>((source, row) =>
        {
            var prompt = source.PromptTokens ?? [];
            if (prompt.Length == 0)
            {
                row.Completion = [];
                row.Reward = float.NaN;
                return;
            }

            lock (_gate)
            {
                row.Completion = CausalLmGenerator.Generate(Model, [prompt], _decoding)[0].TokenIds;
            }

            row.Reward = (float)_reward(-1, prompt, row.Completion);
        }, contractName: null);
        return estimator.Fit(_context.Data.LoadFromEnumerable(Array.Empty<GrpoPromptRow>()));
    }
}
