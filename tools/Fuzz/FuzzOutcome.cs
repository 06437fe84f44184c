// How one fuzz input ended.
namespace MaskedSft.Tools.Fuzz;

/// <summary>The end of one fuzz input.</summary>
public enum FuzzOutcome
{
    /// <summary>The product read the input without an error.</summary>
    Accepted,

    /// <summary>The product rejected the input with a documented exception whose message names the file.</summary>
    Rejected,

    /// <summary>Anything else: an undocumented exception type, a message naming no file, a timeout, a huge allocation or leaked tensors.</summary>
    Finding,
}
