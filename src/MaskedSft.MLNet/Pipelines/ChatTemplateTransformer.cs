// ApplyChatTemplate's transformer: chat JSON -> Tokens + LossMask, lazily per row; saves into an ML.NET model file.
using MaskedSft.MLNet.Tokenizers.Templates;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// The fitted chat-template transform (see <see cref="ChatTemplateEstimator"/>): adds the token ids and the loss mask of
/// each row's chat. <c>mlContext.Model.Save</c> stores the template, the settings and (for a <see cref="HuggingFaceTokenizer"/>)
/// the tokenizer's files in the model file; <c>mlContext.Model.Load</c> in another process gives the same outputs.
/// </summary>
public sealed class ChatTemplateTransformer : ITransformer
{
    private readonly SaveableMapping _core;
    private readonly ChatTemplateState _state;

    internal ChatTemplateTransformer(SaveableMapping core, ChatTemplateState state, ChatTemplateEstimator.Options options)
    {
        _core = core;
        _state = state;
        Options = options;
    }

    /// <summary>The options it was made with.</summary>
    public ChatTemplateEstimator.Options Options { get; }

    /// <summary>The chat template.</summary>
    public ChatTemplate Template => _state.Template;

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer => _state.Tokenizer;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <summary>The schema after the transform.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The input plus the tokens and loss-mask columns.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The chat column is missing or not text.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _core.GetOutputSchema(inputSchema);

    /// <summary>A row-to-row mapper (used by prediction engines).</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapper.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The chat column is missing or not text.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _core.GetRowToRowMapper(inputSchema);

    /// <summary>Adds the tokens and loss-mask columns (lazily: a chat is rendered when its row is read).</summary>
    /// <param name="input">The data.</param>
    /// <returns>The transformed data. Reading a row whose chat is not valid throws <see cref="InvalidDataException"/>
    /// naming the column and showing the value.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The chat column is missing or not text.</exception>
    public IDataView Transform(IDataView input) => _core.Transform(input);

    /// <summary>Saves the transform into an ML.NET model file (called by <c>mlContext.Model.Save</c>).</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    /// <exception cref="NotSupportedException">The tokenizer is not a <see cref="HuggingFaceTokenizer"/>.</exception>
    public void Save(ModelSaveContext ctx) => _core.Save(ctx);
}
