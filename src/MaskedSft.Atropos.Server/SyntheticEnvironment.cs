// A synthetic Atropos environment: registers, then posts seeded scored groups with seed 002's advantage patterns.
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Rl.Atropos;

namespace MaskedSft.Atropos.Server;

/// <summary>
/// Stands in for a rollout environment. Each group is one prompt of random tokens and <see cref="SyntheticEnvironmentOptions.GroupSize"/>
/// completions; the task is to copy the prompt, so a completion's score is the fraction of its tokens equal to the prompt's
/// token at that place (completions copy it with a per-sequence probability, so scores vary within a group). Masks train the
/// completion only; token-level advantages follow the group's pattern (uniform positive, increasing, end weighted, sparse
/// positive, alternating in turn) over the completion. Each group carries <c>generation_params.group_id</c>
/// (<c>NAME-NNNNNN</c>), so a trainer can count what it trained. Group k is a function of (seed, k) only.
/// </summary>
public sealed class SyntheticEnvironment
{
    /// <summary>Creates the environment.</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SyntheticEnvironment(SyntheticEnvironmentOptions? options = null)
    {
        Options = options ?? new SyntheticEnvironmentOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(Options.Groups, nameof(Options.Groups));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.GroupSize, nameof(Options.GroupSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.PromptLength, nameof(Options.PromptLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.CompletionLength, 2, nameof(Options.CompletionLength));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.GroupsPerRequest, nameof(Options.GroupsPerRequest));
        if (Options.FirstTokenId < 0 || Options.FirstTokenId >= Options.VocabSize - 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"token ids [{Options.FirstTokenId}, {Options.VocabSize}) need at least two ids.");
    }

    /// <summary>The options.</summary>
    public SyntheticEnvironmentOptions Options { get; }

    /// <summary>The longest sequence this environment produces.</summary>
    public int MaxSequenceLength => Options.PromptLength + Options.CompletionLength;

    /// <summary>The group id of group <paramref name="index"/>.</summary>
    /// <param name="index">The group's index.</param>
    /// <returns><c>NAME-NNNNNN</c>.</returns>
    public string GroupId(int index) => $"{Options.Name}-{index:D6}";

    /// <summary>Makes group <paramref name="index"/> (deterministic).</summary>
    /// <param name="index">The group's index.</param>
    /// <param name="envId">The environment id to stamp, or null.</param>
    /// <returns>The group.</returns>
    public AtroposScoredData CreateGroup(int index, int? envId = null)
    {
        var o = Options;
        var random = new Random(Mix(o.Seed, index, 0x5eed));
        var prompt = Enumerable.Range(0, o.PromptLength).Select(_ => random.Next(o.FirstTokenId, o.VocabSize)).ToArray();
        var pattern = o.Patterns.Count > 0 ? o.Patterns[index % o.Patterns.Count] : (AdvantagePattern?)null;
        var tokens = new int[o.GroupSize][];
        var masks = new int[o.GroupSize][];
        var scores = new double[o.GroupSize];
        var advantages = pattern is null ? null : new double[o.GroupSize][];
        for (var i = 0; i < o.GroupSize; i++)
        {
            var completion = random.Next((o.CompletionLength + 1) / 2, o.CompletionLength + 1);
            var copyProbability = (i + 1.0) / (o.GroupSize + 1.0);
            var sequence = new int[o.PromptLength + completion];
            prompt.CopyTo(sequence, 0);
            var correct = 0;
            for (var k = 0; k < completion; k++)
            {
                var expected = prompt[k % o.PromptLength];
                var token = random.NextDouble() < copyProbability ? expected : random.Next(o.FirstTokenId, o.VocabSize);
                if (token == expected) correct++;
                sequence[o.PromptLength + k] = token;
            }

            tokens[i] = sequence;
            masks[i] = sequence.Select((t, p) => p < o.PromptLength ? AtroposBatchProcessor.MaskedValue : t).ToArray();
            scores[i] = (double)correct / completion;
            if (advantages is not null)
            {
                var trained = masks[i].Select(m => m == AtroposBatchProcessor.MaskedValue ? 0f : 1f).ToArray();
                var values = new float[trained.Length];
                AdvantagePatterns.Fill(pattern!.Value, trained, values, seed: Mix(o.Seed, index, i + 1));
                advantages[i] = values.Select(v => (double)v).ToArray();
            }
        }

        return new AtroposScoredData
        {
            Tokens = tokens,
            Masks = masks,
            Scores = scores,
            Advantages = advantages,
            GenerationParams = new JsonObject { [AtroposGroupIds.Key] = GroupId(index), ["temperature"] = 1.0 },
            GroupOverrides = pattern is null ? null : new JsonObject { ["advantage_pattern"] = pattern.Value.ToString() },
            EnvId = envId,
        };
    }

    /// <summary>A deterministic seed from three integers (HashCode is randomized per process, so it cannot be used).</summary>
    private static int Mix(int a, int b, int c) => unchecked((int)((((uint)a * 2654435761u) ^ ((uint)b * 40503u + 0x9e3779b9u)) * 2246822519u + (uint)c * 3266489917u));

    /// <summary>Registers with the server (waiting while it answers <c>wait for trainer to start</c>), then posts groups
    /// <paramref name="first"/> .. <see cref="SyntheticEnvironmentOptions.Groups"/>-1, pacing itself by the queue length.</summary>
    /// <param name="client">A client of the server.</param>
    /// <param name="first">The first group's index (to continue an interrupted run).</param>
    /// <param name="log">Progress lines; null prints nothing.</param>
    /// <param name="cancellationToken">Stops posting.</param>
    /// <returns>The number of groups posted.</returns>
    /// <exception cref="AtroposException">A request failed for good.</exception>
    public async Task<int> RunAsync(AtroposClient client, int first = 0, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var registration = new AtroposEnvRegistration { MaxTokenLength = MaxSequenceLength, DesiredName = Options.Name, GroupSize = Options.GroupSize };
        AtroposEnvRegistrationResult result;
        while (!(result = await client.RegisterEnvAsync(registration, cancellationToken).ConfigureAwait(false)).Registered)
            await Task.Delay(Options.PollDelay, cancellationToken).ConfigureAwait(false);
        log?.WriteLine($"registered as {result.WandbName} (env_id {result.EnvId}) at step {result.StartingStep}");
        var posted = 0;
        for (var index = first; index < Options.Groups;)
        {
            if (Options.MaxQueuedGroups is { } max)
            {
                while ((await client.GetStatusAsync(cancellationToken).ConfigureAwait(false)).QueueSize >= max)
                    await Task.Delay(Options.PollDelay, cancellationToken).ConfigureAwait(false);
            }

            var count = Math.Min(Options.GroupsPerRequest, Options.Groups - index);
            var groups = Enumerable.Range(index, count).Select(i => CreateGroup(i, result.EnvId)).ToList();
            if (count == 1) await client.PostScoredDataAsync(groups[0], cancellationToken).ConfigureAwait(false);
            else await client.PostScoredDataListAsync(groups, cancellationToken).ConfigureAwait(false);
            index += count;
            posted += count;
        }

        log?.WriteLine($"posted {posted} groups of {Options.GroupSize}");
        return posted;
    }
}
