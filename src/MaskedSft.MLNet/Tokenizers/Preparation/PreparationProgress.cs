// How far EpisodePreparation.Run has come through its input.
namespace MaskedSft.MLNet.Tokenizers.Preparation;

/// <summary>Progress of <see cref="EpisodePreparation.Run"/>.</summary>
/// <param name="BytesRead">Input bytes consumed so far.</param>
/// <param name="TotalBytes">Size of the input file.</param>
/// <param name="Lines">Lines read so far.</param>
/// <param name="Episodes">Episodes written so far.</param>
public readonly record struct PreparationProgress(long BytesRead, long TotalBytes, long Lines, long Episodes);
