// A data view with a schema and no rows: what ML.NET's estimators are fitted on when a saved chain is built.
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>A data view with <paramref name="schema"/> and no rows.</summary>
internal sealed class EmptyDataView(DataViewSchema schema) : IDataView
{
    public bool CanShuffle => true;

    public DataViewSchema Schema => schema;

    public long? GetRowCount() => 0;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(schema);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(schema)];

    private sealed class Cursor(DataViewSchema schema) : DataViewRowCursor
    {
        private long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => schema;

        public override bool MoveNext()
        {
            _position = 0;
            return false;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => false;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            throw new InvalidOperationException("An empty data view has no rows to read.");

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            throw new InvalidOperationException("An empty data view has no rows to read.");
    }
}
