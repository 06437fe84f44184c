// Settings of the synthetic Atropos environment: group shape, vocabulary, advantage patterns, pacing.
using MaskedSft.MLNet.Losses;

namespace MaskedSft.Atropos.Server;

/// <summary>Options of <see cref="SyntheticEnvironment"/>.</summary>
public sealed record SyntheticEnvironmentOptions
{
    /// <summary>The name the environment registers under.</summary>
    public string Name { get; init; } = "synthetic";

    /// <summary>Groups to post in all.</summary>
    public int Groups { get; init; } = 64;

    /// <summary>Sequences per group.</summary>
    public int GroupSize { get; init; } = 4;

    /// <summary>Prompt tokens per sequence.</summary>
    public int PromptLength { get; init; } = 6;

    /// <summary>The longest completion; each sequence's completion has between half of it and all of it.</summary>
    public int CompletionLength { get; init; } = 6;

    /// <summary>Token ids are drawn from [<see cref="FirstTokenId"/>, <see cref="VocabSize"/>).</summary>
    public int VocabSize { get; init; } = 256;

    /// <summary>The smallest token id used.</summary>
    public int FirstTokenId { get; init; } = 1;

    /// <summary>The token-level advantage patterns (seed 002), used in turn per group; empty sends no advantages (the
    /// trainer derives them from the scores).</summary>
    public IReadOnlyList<AdvantagePattern> Patterns { get; init; } =
        [AdvantagePattern.UniformPositive, AdvantagePattern.Increasing, AdvantagePattern.EndWeighted, AdvantagePattern.SparsePositive, AdvantagePattern.Alternating];

    /// <summary>The seed of every random choice (the groups are a function of it and their index).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Post this many groups per request through /scored_data_list (1 = /scored_data).</summary>
    public int GroupsPerRequest { get; init; } = 1;

    /// <summary>Wait while the server holds this many queued groups or more (GET /status); null never waits.</summary>
    public int? MaxQueuedGroups { get; init; }

    /// <summary>The pause between two polls of /register-env or /status.</summary>
    public TimeSpan PollDelay { get; init; } = TimeSpan.FromMilliseconds(200);
}
