// The bundled synthetic chat episodes of scripts/main.sh (SyntheticChatCorpus), written as an episode dataset.
using MaskedSft.MLNet.Pipelines;

namespace MaskedSft.Tools.Reliability;

/// <summary>Writes the main job's data.</summary>
internal static class SyntheticData
{
    /// <summary>Writes <paramref name="train"/> + <paramref name="validation"/> episodes of the corpus of <paramref name="seed"/>.</summary>
    public static void Write(string directory, int train, int validation, int seed) =>
        SyntheticChatCorpus.Create(seed).WriteDataset(directory, train, validation, overwrite: true);
}
