// The fitted loss-masked SFT model as an ML.NET transformer: per-row Loss and SupervisedTokens; hard examples; saveable.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// The result of <see cref="LossMaskedSftTrainer"/>: a causal LM that adds to each row its <c>Loss</c> (Single: the mean
/// cross-entropy over the row's supervised targets, NaN when it has none) and <c>SupervisedTokens</c> (Int32: how many
/// were scored). Rows longer than the model's block are scored on their first block. It also exposes the training run
/// (<see cref="TrainingResult"/>) and its hard examples as data (<see cref="HardExamples"/>). <c>mlContext.Model.Save</c>
/// stores the weights inside the model file; <c>mlContext.Model.Load</c> in another process gives the same outputs (as
/// ML.NET's own chain of steps, see docs/mlnet.md).
/// </summary>
public sealed class CausalLmTransformer : ITransformer, IDisposable
{
    private readonly SaveableMapping _core;
    private readonly CausalLmState _state;

    internal CausalLmTransformer(SaveableMapping core, CausalLmState state, TrainingResult? trainingResult, IDataView hardExamples)
    {
        _core = core;
        _state = state;
        TrainingResult = trainingResult;
        HardExamples = hardExamples;
    }

    /// <summary>The trained model.</summary>
    public TinyGpt Model => _state.Model;

    /// <summary>The training run (steps, metrics, final losses, checkpoint, report).</summary>
    public TrainingResult? TrainingResult { get; }

    /// <summary>The run's hard examples at its end, hardest first (rows of <see cref="HardExampleRow"/>; empty when
    /// tracking was off).</summary>
    public IDataView HardExamples { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <summary>The schema after the transform.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The input plus <c>Loss</c> and <c>SupervisedTokens</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The tokens or loss-mask column is missing or of the wrong type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _core.GetOutputSchema(inputSchema);

    /// <summary>A row-to-row mapper (used by prediction engines).</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapper.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The tokens or loss-mask column is missing or of the wrong type.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _core.GetRowToRowMapper(inputSchema);

    /// <summary>Adds <c>Loss</c> and <c>SupervisedTokens</c> (computed when a row is read: one forward pass per row).</summary>
    /// <param name="input">Rows with the tokens and loss-mask columns.</param>
    /// <returns>The scored data.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The tokens or loss-mask column is missing or of the wrong type.</exception>
    public IDataView Transform(IDataView input) => _core.Transform(input);

    /// <summary>Continues a prompt with the model (greedy by default).</summary>
    /// <param name="prompt">Token ids.</param>
    /// <param name="options">Generation options.</param>
    /// <returns>The new tokens.</returns>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    public int[] Generate(ReadOnlySpan<int> prompt, GenerationOptions? options = null) => Model.Generate(prompt, options);

    /// <summary>Saves the model alone into a directory: <c>model.safetensors</c> (weights, config in the metadata), as
    /// checkpoints hold it (for <c>maskedsft check --checkpoint</c> and <see cref="TinyGpt.Load"/>).</summary>
    /// <param name="directory">The directory (created when missing).</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void SaveModel(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Model.Save(directory);
    }

    /// <summary>Saves the transformer into an ML.NET model file (called by <c>mlContext.Model.Save</c>).</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    public void Save(ModelSaveContext ctx) => _core.Save(ctx);

    /// <summary>Frees the model's native tensors.</summary>
    public void Dispose() => Model.Dispose();
}
