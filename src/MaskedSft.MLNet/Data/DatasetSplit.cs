// The train/validation split an episode belongs to.
namespace MaskedSft.MLNet.Data;

/// <summary>The split of an episode, stored as one byte in its index entry.</summary>
public enum DatasetSplit
{
    /// <summary>Training episodes (stored as 0).</summary>
    Train = 0,

    /// <summary>Validation episodes (stored as 1).</summary>
    Validation = 1,
}
