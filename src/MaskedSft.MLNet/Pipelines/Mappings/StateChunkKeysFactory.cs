// Saved-pipeline infrastructure: the CustomMapping that asks for a state's chunks only until this process has decoded it.
using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MaskedSft.MLNet.Pipelines.Mappings;

/// <summary>A row's saved-state id (<c>id|count</c>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StateIdRow
{
    /// <summary>The id and chunk count.</summary>
    [ColumnName(SavedState.IdColumn)]
    public string? StateId { get; set; }
}

/// <summary>The chunk keys a row fetches.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StateKeysRow
{
    /// <summary>1..count, or empty once the state is decoded in this process.</summary>
    [ColumnName(SavedState.KeysColumn)]
    public uint[] Keys { get; set; } = [];
}

/// <summary>Computes <see cref="StateKeysRow"/> (infrastructure of saved MaskedSft pipelines; see docs/mlnet.md).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class StateChunkKeysFactory : CustomMappingFactory<StateIdRow, StateKeysRow>
{
    /// <summary>The contract name saved in model files.</summary>
    public const string ContractName = "MaskedSft.StateChunkKeys.v1";

    /// <inheritdoc />
    public override Action<StateIdRow, StateKeysRow> GetMapping() => static (source, row) => row.Keys = SavedState.KeysToFetch(source.StateId);
}
