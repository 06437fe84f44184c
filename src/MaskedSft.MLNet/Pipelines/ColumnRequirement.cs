// One input column a component needs: its name, role and type, checked against a schema or a schema shape with clear errors.
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>A column a component reads: name, what it is for, and its type (a scalar, or a vector of any size).</summary>
/// <param name="Name">The column name.</param>
/// <param name="Role">What the column is, for messages (e.g. "token ids").</param>
/// <param name="ItemType">The scalar type, or the item type of a vector.</param>
/// <param name="IsVector">Whether the column is a vector (of any size).</param>
internal sealed record ColumnRequirement(string Name, string Role, DataViewType ItemType, bool IsVector)
{
    /// <summary>The type as ML.NET prints it (e.g. <c>Vector&lt;Int32&gt;</c>).</summary>
    public string TypeName => IsVector ? $"Vector<{ItemType}>" : ItemType.ToString()!;

    /// <summary>Finds the column in a schema and checks its type.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or has another type; the message names the
    /// column, the expected and the actual type.</exception>
    public DataViewSchema.Column Check(DataViewSchema schema)
    {
        var column = schema.GetColumnOrNull(Name) is { } found ? found : throw Missing(schema.Where(c => !c.IsHidden).Select(c => c.Name));
        bool matches = IsVector
            ? column.Type is VectorDataViewType vector && vector.ItemType.Equals(ItemType)
            : column.Type.Equals(ItemType);
        return matches ? column : throw Mismatch(column.Type.ToString()!);
    }

    /// <summary>Checks the column in a schema shape (what an estimator sees before fitting).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or has another type.</exception>
    public void Check(SchemaShape shape)
    {
        var column = Find(shape) is { } found ? found : throw Missing(shape.Select(c => c.Name));

        bool isVector = column.Kind != SchemaShape.Column.VectorKind.Scalar;
        if (isVector != IsVector || !column.ItemType.Equals(ItemType) || column.IsKey)
        {
            throw Mismatch(isVector ? $"Vector<{column.ItemType}>" : column.ItemType.ToString()!);
        }
    }

    /// <summary>Whether a schema has the column (of any type).</summary>
    public bool IsIn(DataViewSchema schema) => schema.GetColumnOrNull(Name) is not null;

    /// <summary>Whether a schema shape has the column (of any type).</summary>
    public bool IsIn(SchemaShape shape) => Find(shape) is not null;

    private SchemaShape.Column? Find(SchemaShape shape) => shape.Where(c => c.Name == Name).Select(c => (SchemaShape.Column?)c).LastOrDefault();

    private ArgumentOutOfRangeException Missing(IEnumerable<string> columns) =>
        new("inputSchema", $"Column '{Name}' ({Role}, {TypeName}) not found; the input has {string.Join(", ", columns.Select(c => $"'{c}'"))}. "
            + "Hint: name the column in the options, or rename it with mlContext.Transforms.CopyColumns.");

    private ArgumentOutOfRangeException Mismatch(string actual) =>
        new("inputSchema", $"Schema mismatch for column '{Name}' ({Role}): expected {TypeName}, got {actual}. "
            + "Hint: convert it with mlContext.Transforms.Conversion.ConvertType, or fix the source data.");
}
