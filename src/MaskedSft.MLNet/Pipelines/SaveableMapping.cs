// The common core of MaskedSft's transformers: an in-process CustomMapping for Transform, a chain of ML.NET pieces for Save.
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Runs a transformer through an in-process ML.NET <c>CustomMapping</c> (lazy, row to row, usable by prediction engines)
/// after checking the input schema, and saves it as an equivalent chain of ML.NET transformers that
/// <c>mlContext.Model.Load</c> can rebuild in another process (see <see cref="SavedState"/> and docs/mlnet.md).
/// </summary>
/// <param name="mapping">The fitted in-process mapping.</param>
/// <param name="check">Checks an input schema; throws naming the column, the expected and the actual type.</param>
/// <param name="savedChain">Builds the estimator chain to save (built and fitted only when saving).</param>
/// <param name="inputSchema">The schema the transformer was fitted on (the saved chain is fitted on an empty view of it).</param>
internal sealed class SaveableMapping(ITransformer mapping, Action<DataViewSchema> check, Func<IEstimator<ITransformer>> savedChain, DataViewSchema inputSchema)
{
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        check(inputSchema);
        return mapping.GetOutputSchema(inputSchema);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        check(inputSchema);
        return mapping.GetRowToRowMapper(inputSchema);
    }

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        check(input.Schema);
        return mapping.Transform(input);
    }

    public void Save(ModelSaveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ITransformer saved = savedChain().Fit(new EmptyDataView(inputSchema));
        saved.Save(context);
    }
}
