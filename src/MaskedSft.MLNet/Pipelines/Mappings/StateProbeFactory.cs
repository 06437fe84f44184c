// Saved-pipeline infrastructure: the CustomMapping that adds the constant key the state's ValueMapping looks up.
using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MaskedSft.MLNet.Pipelines.Mappings;

/// <summary>No input columns.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NoColumns
{
}

/// <summary>The constant probe key (always 0) of a saved state.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StateProbeRow
{
    /// <summary>Always 0.</summary>
    [ColumnName(SavedState.ProbeColumn)]
    public uint Probe { get; set; }
}

/// <summary>Adds <see cref="StateProbeRow"/> to every row (infrastructure of saved MaskedSft pipelines; see docs/mlnet.md).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class StateProbeFactory : CustomMappingFactory<NoColumns, StateProbeRow>
{
    /// <summary>The contract name saved in model files.</summary>
    public const string ContractName = "MaskedSft.StateProbe.v1";

    /// <inheritdoc />
    public override Action<NoColumns, StateProbeRow> GetMapping() => static (_, row) => row.Probe = 0;
}
