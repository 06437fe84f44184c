// Shared pieces of the trainer tests: a small synthetic chat dataset on disk and a small GPT configuration for it.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Training;

/// <summary>A temporary synthetic-chat episode dataset (64 train + 16 validation episodes) and helpers.</summary>
internal sealed class TrainingFixture : IDisposable
{
    public TrainingFixture(int train = 64, int validation = 16)
    {
        Root = Path.Combine(Path.GetTempPath(), "msft-train-" + Guid.NewGuid().ToString("N"));
        Corpus = SyntheticChatCorpus.Create(11);
        Corpus.WriteDataset(Path.Combine(Root, "data"), train, validation);
        Dataset = EpisodeDataset.Open(Path.Combine(Root, "data"));
    }

    public string Root { get; }

    public SyntheticChatCorpus Corpus { get; }

    public EpisodeDataset Dataset { get; }

    /// <summary>2 layers x 32, block 32, the corpus vocabulary; dropout to exercise the RNG state.</summary>
    public GptConfig Config(double dropout = 0.0) => new()
    {
        Layers = 2, Heads = 2, EmbeddingSize = 32, BlockSize = 32, VocabSize = Corpus.PaddedVocabSize, Dropout = dropout,
    };

    public string NewDirectory(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Every parameter's values, by name.</summary>
    public static Dictionary<string, float[]> Weights(ICausalLm model)
    {
        using var scope = new DisposeScope();
        return model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
    }

    public void Dispose()
    {
        Dataset.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
