// Settings of EpisodeDataLoader: batch and block size, seed, long-episode policy, mask/advantage modes, padding.
namespace MaskedSft.MLNet.Data;

/// <summary>Options of <see cref="EpisodeDataLoader"/>.</summary>
public sealed record EpisodeLoaderOptions
{
    /// <summary>Rows per batch of this process, B (default 8). With <see cref="WorldSize"/> W &gt; 1 a step's global batch
    /// is W·B rows, of which each rank reads B.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Positions per row, T: a row holds up to T inputs and T targets, i.e. a window of T + 1 tokens (default 1024).</summary>
    public int BlockSize { get; init; } = 1024;

    /// <summary>Seed of the sample order; epoch e visits the samples in the permutation of (Seed, e) (default 1337).</summary>
    public ulong Seed { get; init; } = 1337;

    /// <summary>What to do with episodes longer than the block (default <see cref="LongEpisodePolicy.Truncate"/>).</summary>
    public LongEpisodePolicy LongEpisodes { get; init; } = LongEpisodePolicy.Truncate;

    /// <summary>Whether batches carry the loss mask (default true). False gives (X, Y) only, training on every real target.</summary>
    public bool UseLossMask { get; init; } = true;

    /// <summary>Whether batches carry advantages when the dataset has them (default true).</summary>
    public bool IncludeAdvantages { get; init; } = true;

    /// <summary>Whether each epoch visits the samples in a new random order (default true); false keeps index order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Whether to drop an epoch's last partial batch, so every batch has B rows (default true).</summary>
    public bool DropLast { get; init; } = true;

    /// <summary>Target value at padded positions (default -100, cross-entropy's usual ignore index).</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>Input value at padded positions; null uses the dataset's pad id.</summary>
    public int? PadId { get; init; }

    /// <summary>This process's index among <see cref="WorldSize"/> data-parallel processes, in [0, WorldSize) (default 0).</summary>
    public int Rank { get; init; }

    /// <summary>Number of data-parallel processes W that share the order (default 1). Every rank draws the same
    /// permutation of (Seed, epoch); global batch b is its entries [b·W·B, (b+1)·W·B), and rank r reads entries
    /// b·W·B + r + k·W for k = 0..B-1. The union of the ranks' batches at a step is exactly the batch of one process with
    /// BatchSize W·B, and a <see cref="LoaderState"/> saved by any rank resumes every rank.</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary>Pack several samples into one row (default false). Samples are packed next-fit in index order (a row takes
    /// the following samples while their targets fit in T; a sample longer than the room left starts a new row), once, so
    /// every epoch shuffles the same packed rows and <see cref="LoaderState"/> resumes exactly. Each sample keeps its own
    /// (X, Y) pairs, so no target crosses from one sample into the next; the batch carries per-position document ids and
    /// positions that restart at 0 for every sample (<see cref="EpisodeBatch.DocumentIds"/>,
    /// <see cref="EpisodeBatch.PositionIds"/>) for block-diagonal causal attention.</summary>
    public bool Packing { get; init; }

    /// <summary>Drop samples whose targets have no supervised position (only when <see cref="UseLossMask"/>; default false).</summary>
    public bool SkipSamplesWithoutSupervisedTarget { get; init; }
}
