// Options of the Atropos trainer: registration, batch shape, the objective, processing, polling, files.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>What <see cref="AtroposTrainer"/> does. The optimizer, schedule, clipping, seed, output directory, checkpoint
/// interval and weighted-SFT loss come from <see cref="Training"/> (the one set of defaults the SFT trainer uses); its
/// <see cref="TrainerOptions.MaxSteps"/> is the number of Atropos batches to train, its <see cref="TrainerOptions.BatchSize"/>
/// the sequences per batch (registered as batch_size) and its <see cref="TrainerOptions.GradientAccumulationSteps"/> the
/// micro-batches each batch is split into.</summary>
public sealed record AtroposTrainerOptions
{
    /// <summary>Steps, batch size, accumulation, optimizer, schedule, seed, output directory, checkpoints, loss.</summary>
    public required TrainerOptions Training { get; init; }

    /// <summary>The longest sequence accepted (registered as max_token_len).</summary>
    public required int MaxTokenLength { get; init; }

    /// <summary>Builds the objective for RL batches (e.g. GRPO); null trains advantage-weighted SFT
    /// (<see cref="RlWeightedSftObjective"/> with <see cref="TrainerOptions.Loss"/>).</summary>
    public Func<ICausalLm, ITrainingObjective<RlBatch>>? Objective { get; init; }

    /// <summary>The objective's name in metrics and checkpoints (e.g. <c>weighted-sft</c>, <c>grpo</c>).</summary>
    public string ObjectiveName { get; init; } = "weighted-sft";

    /// <summary>Padding, length limits, advantages from scores, log-probs carried. The maximum length defaults to
    /// <see cref="MaxTokenLength"/> and the vocabulary to the model's.</summary>
    public AtroposProcessorOptions Processor { get; init; } = new();

    /// <summary>The Weights &amp; Biases group told to the server.</summary>
    public string WandbGroup { get; init; } = "";

    /// <summary>The Weights &amp; Biases project told to the server.</summary>
    public string WandbProject { get; init; } = "";

    /// <summary>Keep every trained batch under RUN/atropos/batches/ (for audits and tests); otherwise a checkpoint deletes
    /// the batches it covers.</summary>
    public bool KeepTrainedBatches { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    /// <exception cref="ArgumentException">The batch size is not a multiple of the accumulation steps.</exception>
    public void Validate()
    {
        Training.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokenLength, 2, nameof(MaxTokenLength));
        if (Training.BatchSize % Training.GradientAccumulationSteps != 0)
            throw new ArgumentException($"the batch size {Training.BatchSize} is not a multiple of the accumulation steps {Training.GradientAccumulationSteps}; each micro-batch must have the same number of sequences.", nameof(Training));
        Processor.Validate();
    }
}
