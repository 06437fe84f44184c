// The on-policy GRPO trainer as an ML.NET estimator: prompts from an IDataView, a C# reward delegate, OnPolicyGrpoTrainer.
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Training.Rl;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// <c>mlContext.MaskedSft().Trainers.Grpo(model, reward, options)</c>: <see cref="Fit"/> reads the prompts of the
/// <c>PromptTokens</c> column (vectors of Int32 token ids), trains the model in place with
/// <see cref="OnPolicyGrpoTrainer"/> (G sampled completions per prompt scored by the reward delegate) and returns a
/// <see cref="GrpoTransformer"/> that adds each prompt's greedy <c>Completion</c> and its <c>Reward</c>.
/// </summary>
public sealed class GrpoTrainer : IEstimator<GrpoTransformer>
{
    private static readonly ColumnRequirement Prompt = new(GrpoPromptRow.ColumnName, "prompt token ids", NumberDataViewType.Int32, IsVector: true);
    private readonly MLContext _context;
    private readonly IKvCacheCausalLm _model;
    private readonly CompletionReward _reward;

    /// <summary>Creates the trainer (use the catalog).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="model">The policy (trained in place; a LoRA model trains its adapters).</param>
    /// <param name="reward">Scores a completion.</param>
    /// <param name="options">GRPO options; null = defaults.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public GrpoTrainer(MLContext context, IKvCacheCausalLm model, CompletionReward reward, OnPolicyGrpoOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reward);
        _context = context;
        _model = model;
        _reward = reward;
        Options = options ?? new OnPolicyGrpoOptions();
        Options.Validate();
    }

    /// <summary>The GRPO options.</summary>
    public OnPolicyGrpoOptions Options { get; }

    /// <summary>Trains on the prompts of <paramref name="input"/>.</summary>
    /// <param name="input">A view with a <c>PromptTokens</c> column.</param>
    /// <returns>The transformer over the trained model, with every step's measurements.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentException">A prompt is empty.</exception>
    public GrpoTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckColumn(input.Schema);
        var prompts = _context.Data.CreateEnumerable<GrpoPromptRow>(input, reuseRowObject: false)
            .Select((r, i) => r.PromptTokens is { Length: > 0 } p ? (IReadOnlyList<int>)p : throw new ArgumentException($"row {i}: the prompt is empty.", nameof(input)))
            .ToList();
        using var trainer = new OnPolicyGrpoTrainer(_model, prompts, _reward, Options);
        var steps = trainer.Run();
        return new GrpoTransformer(_context, _model, _reward, Options.Decoding, steps);
    }

    /// <summary>The output schema: the input's columns plus <c>Completion</c> (vector of Int32) and <c>Reward</c> (Single).</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The output schema.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The prompt column is missing or not a vector of Int32.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Prompt.Check(inputSchema);
        return _context.Transforms.CustomMapping<GrpoPromptRow, GrpoCompletionRow>(static (_, _) => { }, contractName: null).GetOutputSchema(inputSchema);
    }

    private static void CheckColumn(DataViewSchema schema) => Prompt.Check(schema);
}
