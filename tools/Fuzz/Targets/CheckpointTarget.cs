// Fuzz target: a trainer checkpoint folder (trainer.json, model.safetensors, optimizer.safetensors, hard_examples.json) of
// a tiny GPT, loaded into fresh objects as `train --resume` does, then one more step trained.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>Checkpoint folders through <see cref="Trainer.LoadCheckpoint"/>.</summary>
public sealed class CheckpointTarget : FuzzTarget
{
    private static readonly GptConfig Config = new() { Layers = 1, Heads = 2, EmbeddingSize = 16, BlockSize = 32, VocabSize = SyntheticChatCorpus.Create(3).PaddedVocabSize };

    private EpisodeDataset? _dataset;
    private string _scratch = string.Empty;

    /// <inheritdoc/>
    public override string Name => "checkpoint";

    /// <inheritdoc/>
    public override string Description => "trainer checkpoint: trainer.json, model.safetensors, optimizer.safetensors, hard_examples.json; LoadCheckpoint into fresh objects, one more step";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } =
    [
        (CheckpointMetadata.FileName, FuzzFileKind.Json), (CheckpointMetadata.FileName, FuzzFileKind.Json), (CheckpointMetadata.ModelFileName, FuzzFileKind.Safetensors),
        (CheckpointMetadata.OptimizerFileName, FuzzFileKind.Safetensors), ("hard_examples.json", FuzzFileKind.Json),
    ];

    private static TrainerOptions Options => new()
    {
        MaxSteps = 4, BatchSize = 2, WarmupSteps = 1, LearningRate = 1e-3, LogInterval = 1, EvalInterval = 0, CheckpointInterval = 2, Seed = 3,
        HardExamples = new HardExampleTrackerOptions { Capacity = 4, LogInterval = 1 },
    };

    /// <inheritdoc/>
    public override void Prepare(string scratch)
    {
        _scratch = scratch;
        Directory.CreateDirectory(scratch);
        var data = Path.Combine(scratch, "data");
        SyntheticChatCorpus.Create(3).WriteDataset(data, 8, 0, overwrite: true);
        _dataset = EpisodeDataset.Open(data);
    }

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        var run = Path.Combine(_scratch, "run");
        using (var model = new TinyGpt(Config, seed: 1))
        using (var trainer = new Trainer(model, _dataset!, Options with { OutputDirectory = run }))
        {
            trainer.Run(untilStep: 2);
        }

        FuzzRunner.CopyFolder(Trainer.ResolveCheckpoint(run), folder);
    }

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        using var model = new TinyGpt(Config, seed: 2);
        using var trainer = new Trainer(model, _dataset!, Options);
        trainer.LoadCheckpoint(folder);
        if (trainer.Step < trainer.MaxSteps) trainer.Run(untilStep: trainer.Step + 1);
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) =>
        exception is InvalidDataException or SafetensorsFormatException || exception.GetType() == typeof(ArgumentException);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _dataset?.Dispose();
        base.Dispose(disposing);
    }
}
