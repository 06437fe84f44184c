// A fitted tiny GPT: scores episodes (Transform), generates, and saves/loads itself as safetensors + JSON.
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.IO;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;

using MaskedSft.Torch.IO;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// The result of <see cref="MaskedSftTrainer.Fit"/>. Saved as a directory: <c>model.safetensors</c> (weights with the config in
/// the metadata, nanoGPT names) and <c>model.json</c> (format, version, config, training summary).
/// </summary>
public sealed class MaskedSftModel : IDisposable
{
    /// <summary>Format name of model.json.</summary>
    public const string FormatName = "MaskedSft.Model";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    internal MaskedSftModel(TinyGpt model, TrainingResult? training)
    {
        Model = model;
        Training = training;
    }

    /// <summary>The trained network.</summary>
    public TinyGpt Model { get; }

    /// <summary>The training run that produced it (null for a loaded model).</summary>
    public TrainingResult? Training { get; }

    /// <summary>Scores every episode of the data (or of one split): masked loss and per-target log-probabilities.</summary>
    /// <param name="data">The episodes.</param>
    /// <param name="split">Only this split, or null for both.</param>
    /// <param name="batchSize">Episodes per forward pass.</param>
    /// <returns>One score per episode with at least one target, ordered by split (train first) then index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">The data's vocabulary exceeds the model's.</exception>
    public IReadOnlyList<EpisodeScore> Transform(EpisodeData data, DatasetSplit? split = null, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var dataset = data.Dataset;
        if (dataset.VocabSize > Model.Config.VocabSize)
            throw new ArgumentException($"{dataset.DirectoryPath}: vocabulary {dataset.VocabSize} exceeds the model's {Model.Config.VocabSize}.", nameof(data));
        var scores = new List<EpisodeScore>();
        var wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var noGrad = new NoGradScope();
            foreach (var s in split is { } only ? [only] : new[] { DatasetSplit.Train, DatasetSplit.Validation })
            {
                if ((s == DatasetSplit.Train ? dataset.Header.TrainEpisodeCount : dataset.Header.ValidationEpisodeCount) == 0) continue;
                var loader = new EpisodeDataLoader(dataset, s, new EpisodeLoaderOptions
                {
                    BatchSize = batchSize, BlockSize = Model.Config.BlockSize, Shuffle = false, DropLast = false,
                    LongEpisodes = LongEpisodePolicy.Truncate, IncludeAdvantages = false,
                });
                foreach (var batch in loader.EnumerateEpoch()) Score(dataset, s, batch, scores);
            }
        }
        finally
        {
            Model.Train(wasTraining);
        }

        return scores;
    }

    /// <summary>Continues a prompt (greedy by default).</summary>
    /// <param name="prompt">Token ids.</param>
    /// <param name="options">Generation options.</param>
    /// <returns>The new tokens.</returns>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    public int[] Generate(ReadOnlySpan<int> prompt, GenerationOptions? options = null) => Model.Generate(prompt, options);

    /// <summary>Saves the model to a directory (created if needed; files replaced atomically).</summary>
    /// <param name="directory">The directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        Model.SaveWeights(Path.Combine(directory, "model.safetensors"));
        var info = new SavedModelInfo(FormatName, 1, Model.Config, Training?.Step, Training?.FinalLoss, Training?.FinalValidationLoss);
        AtomicFile.Write(Path.Combine(directory, "model.json"), stream => JsonSerializer.Serialize(stream, info, Json));
    }

    /// <summary>Loads a model saved by <see cref="Save"/> (or a checkpoint folder, or a bare model.safetensors).</summary>
    /// <param name="path">The model directory, a checkpoint folder, or a weights file.</param>
    /// <param name="device">Device (CPU when null).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">No weights were found, or they do not match their config.</exception>
    public static MaskedSftModel Load(string path, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var weights = File.Exists(path) ? path : Path.Combine(path, "model.safetensors");
        if (!File.Exists(weights))
            throw new InvalidDataException($"{path}: no model.safetensors found. Hint: pass the directory written by MaskedSftModel.Save, a checkpoint folder, or a .safetensors file.");
        return new MaskedSftModel(TinyGpt.Load(weights, device), null);
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();

    private void Score(EpisodeDataset dataset, DatasetSplit split, EpisodeBatch batch, List<EpisodeScore> scores)
    {
        using var scope = new DisposeScope();
        var t = BatchTensors.From(batch, Model.Device);
        var logits = Model.Forward(t.Inputs);                                                   // (B, T, V)
        var safe = TorchOps.Where(t.Targets.Lt(0L), TorchOps.ZerosLike(t.Targets), t.Targets);
        var logp = logits.LogSoftmax(-1).Gather(-1, safe.Unsqueeze(-1)).Squeeze(-1);            // (B, T)
        var values = logp.To(Device.Cpu).ToArray<float>();
        var mask = batch.LossMask;
        var rows = batch.Rows;
        var block = batch.BlockSize;
        for (var r = 0; r < rows; r++)
        {
            var n = batch.RowTargetCounts[r];
            var index = batch.EpisodeIndices[r];
            var info = dataset.GetEpisode(index);
            var lp = values.AsSpan(r * block, n).ToArray();
            double sum = 0;
            var supervised = 0;
            for (var j = 0; j < n; j++)
            {
                if (mask[r * block + j] != 0)
                {
                    sum -= lp[j];
                    supervised++;
                }
            }

            scores.Add(new EpisodeScore(index, info.Key, split, supervised > 0 ? sum / supervised : 0.0, supervised, lp, info.Length - 1 > n));
        }
    }

    private sealed record SavedModelInfo(string Format, int Version, GptConfig Config, long? TrainedSteps, double? FinalLoss, double? FinalValidationLoss);
}
