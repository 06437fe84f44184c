// A fitted causal LM: scores episodes (Transform), generates, and saves/loads itself (the model's own files + model.json).
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.IO;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;

using MaskedSft.Torch.IO;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// The result of <see cref="MaskedSftTrainer.Fit"/>. Saved as a directory: the model's files (<see cref="ICausalLm.Save"/>; the
/// tiny GPT's <c>model.safetensors</c> carries its config in the metadata) and <c>model.json</c> (format, version,
/// architecture, training summary).
/// </summary>
public sealed class MaskedSftModel : IDisposable
{
    /// <summary>Format name of model.json.</summary>
    public const string FormatName = "MaskedSft.Model";

    /// <summary>Version of model.json: 2 records the architecture (1 recorded the tiny GPT's config, also in its weights).</summary>
    public const int CurrentVersion = 2;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    internal MaskedSftModel(ICausalLm model, TrainingResult? training)
    {
        Model = model;
        Training = training;
    }

    /// <summary>The trained network.</summary>
    public ICausalLm Model { get; }

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
        if (dataset.VocabSize > Model.VocabSize)
            throw new ArgumentException($"{dataset.DirectoryPath}: vocabulary {dataset.VocabSize} exceeds the model's {Model.VocabSize}.", nameof(data));
        var scores = new List<EpisodeScore>();
        var wasTraining = Model.IsTraining;
        Model.Train(false);
        try
        {
            using var noGrad = new NoGradScope();
            foreach (var s in split is { } only ? [only] : new[] { DatasetSplit.Train, DatasetSplit.Validation })
            {
                if ((s == DatasetSplit.Train ? dataset.Header.TrainEpisodeCount : dataset.Header.ValidationEpisodeCount) == 0) continue;
                var loader = new EpisodeDataLoader(dataset, s, new EpisodeLoaderOptions
                {
                    BatchSize = batchSize, BlockSize = Model.MaxSequenceLength, Shuffle = false, DropLast = false,
                    LongEpisodes = LongEpisodePolicy.Truncate, IncludeAdvantages = false,
                });
                foreach (var batch in loader.EnumerateEpoch()) Score(dataset, s, batch, loader.Options.IgnoreIndex, scores);
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
        Model.Save(directory);
        var info = new SavedModelInfo(FormatName, CurrentVersion, Model.Architecture, Training?.Step, Training?.FinalLoss, Training?.FinalValidationLoss);
        AtomicFile.Write(Path.Combine(directory, "model.json"), stream => JsonSerializer.Serialize(stream, info, Json));
    }

    /// <summary>Loads a tiny GPT saved by <see cref="Save"/> (or a checkpoint folder, or a bare model.safetensors).</summary>
    /// <param name="path">The model directory, a checkpoint folder, or a weights file.</param>
    /// <param name="device">Device (CPU when null).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">No weights were found, they do not match their config, or model.json names
    /// another architecture.</exception>
    public static MaskedSftModel Load(string path, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var weights = File.Exists(path) ? path : Path.Combine(path, TinyGpt.WeightsFileName);
        if (!File.Exists(weights))
            throw new InvalidDataException($"{path}: no {TinyGpt.WeightsFileName} found. Hint: pass the directory written by MaskedSftModel.Save, a checkpoint folder, or a .safetensors file.");
        var info = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weights))!, "model.json");
        if (File.Exists(info) && JsonSerializer.Deserialize<SavedModelInfo>(File.ReadAllText(info), Json)?.Architecture is { } architecture && architecture != TinyGpt.ArchitectureName)
            throw new InvalidDataException($"{info}: the model is a {architecture}; MaskedSftModel.Load reads {TinyGpt.ArchitectureName} models. Hint: load it with its own family's loader.");
        return new MaskedSftModel(TinyGpt.Load(weights, device), null);
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();

    private void Score(EpisodeDataset dataset, DatasetSplit split, EpisodeBatch batch, long ignoreIndex, List<EpisodeScore> scores)
    {
        using var scope = new DisposeScope();
        var t = BatchTensors.From(batch, Model.Device);
        var logits = Model.Forward(t.Inputs);                                                   // (B, T, V)
        var safe = TorchOps.Where(t.Targets.Lt(0L), TorchOps.ZerosLike(t.Targets), t.Targets);
        var logp = logits.LogSoftmax(-1).Gather(-1, safe.Unsqueeze(-1)).Squeeze(-1);            // (B, T)
        var values = logp.To(Device.Cpu).ToArray<float>();
        var rows = batch.Rows;
        var block = batch.BlockSize;
        for (var r = 0; r < rows; r++)
        {
            var n = batch.RowTargetCounts[r];
            var index = batch.EpisodeIndices[r];
            var info = dataset.GetEpisode(index);
            var lp = values.AsSpan(r * block, n).ToArray();
            var targets = batch.TargetRow(r);
            var mask = batch.LossMaskRow(r);
            double sum = 0;
            var supervised = 0;
            for (var j = 0; j < n; j++)
            {
                if (EffectiveMask.IsSupervisedAt(targets, mask, j, ignoreIndex))
                {
                    sum -= lp[j];
                    supervised++;
                }
            }

            scores.Add(new EpisodeScore(index, info.Key, split, supervised > 0 ? sum / supervised : 0.0, supervised, lp, info.Length - 1 > n));
        }
    }

    private sealed record SavedModelInfo(string Format, int Version, string? Architecture, long? TrainedSteps, double? FinalLoss, double? FinalValidationLoss);
}
