// Settings of EpisodePreparation.Run: input, tokenizer, template, length limit, split, output.
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tokenizers.Preparation;

/// <summary>What <see cref="EpisodePreparation.Run"/> reads, how it tokenizes and masks, and where it writes.</summary>
public sealed record PreparationOptions
{
    /// <summary>The JSONL input: OpenAI-style chat lines and/or Atropos scored-data lines.</summary>
    public required string InputPath { get; init; }

    /// <summary>The episode dataset directory to create.</summary>
    public required string OutputPath { get; init; }

    /// <summary>The tokenizer of chat lines; Atropos token ids are checked against its vocabulary.</summary>
    public required BpeTokenizer Tokenizer { get; init; }

    /// <summary>The chat template of chat lines.</summary>
    public required ChatTemplate Template { get; init; }

    /// <summary>Where <see cref="Tokenizer"/> was loaded from, recorded in the dataset so that <c>inspect</c> can find it.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Episodes longer than this are truncated (their end is cut); 0 for no limit.</summary>
    public int MaxLength { get; init; }

    /// <summary>Fraction of episodes that go to validation, decided by a hash of each episode's key and <see cref="Seed"/>.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Seed of the train/validation split.</summary>
    public ulong Seed { get; init; }

    /// <summary>Which assistant turns of chat lines are trained.</summary>
    public AssistantTurns TrainOn { get; init; } = AssistantTurns.All;

    /// <summary>Qwen3's enable_thinking: when false, the empty think block of a trained turn is part of the prompt (mask 0).</summary>
    public bool EnableThinking { get; init; } = true;

    /// <summary>The date of templates that write one (Llama 3.1/3.2's "Today Date"); null for the template's default.</summary>
    public string? DateString { get; init; }

    /// <summary>When true, bad lines are reported in the statistics and skipped; when false the first one stops the run.</summary>
    public bool SkipBadLines { get; init; }

    /// <summary>Replace an existing dataset at <see cref="OutputPath"/>.</summary>
    public bool Overwrite { get; init; }
}
