// The Atropos server's state and the semantics of its routes, independent of HTTP: registration, queue, batches, envs.
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using MaskedSft.MLNet.Rl.Atropos;
using MaskedSft.Torch.IO;

namespace MaskedSft.Atropos.Server;

/// <summary>
/// What the archived Atropos server keeps in <c>app.state</c>, with its routes' semantics (one lock around each):
/// the first POST /register sets the run (batch size, max token length, step counter = starting_step, checkpoint settings)
/// and every registration gets a fresh 128-bit uuid; POST /scored_data queues a group, or buffers it when its size differs
/// from its environment's group size until buffered groups sum to it; GET /batch marks the trainer started, forms every
/// batch of exactly batch_size sequences the queue allows, adds their number to the step counter and serves them one per
/// call (the last formed first, as the archived server pops them); POST /register-env answers
/// <c>wait for trainer to start</c> until the first GET /batch.
/// <para>Differences, on purpose: data posted before the trainer registered stays queued (the archived server then never
/// initialized its registration); with <see cref="StatePath"/> the state is written after every change and read back at
/// start, so a restarted server continues where it stopped (the archived server forgets everything).</para>
/// </summary>
public sealed class AtroposServerState
{
    private static readonly JsonSerializerOptions SnapshotJson = new(AtroposJson.Options) { WriteIndented = false };
    private readonly object _lock = new();
    private Snapshot _s = new();

    /// <summary>Creates an empty state, or reads it from <paramref name="statePath"/> when that file exists.</summary>
    /// <param name="statePath">Where the state is persisted after each change; null keeps it in memory only.</param>
    /// <exception cref="InvalidDataException">The state file is not a server state.</exception>
    public AtroposServerState(string? statePath = null)
    {
        StatePath = statePath is null ? null : Path.GetFullPath(statePath);
        if (StatePath is not null && File.Exists(StatePath))
        {
            try
            {
                _s = JsonSerializer.Deserialize<Snapshot>(File.ReadAllBytes(StatePath), SnapshotJson) ?? new Snapshot();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{StatePath}: not an Atropos server state ({e.Message}). Hint: delete it to start afresh.", e);
            }
        }
    }

    /// <summary>The persisted state file, or null.</summary>
    public string? StatePath { get; }

    /// <summary>The registration in force (the first one), or null before any.</summary>
    public AtroposRegistration? Registration { get { lock (_lock) return _s.Registration; } }

    /// <summary>The step counter.</summary>
    public long Step { get { lock (_lock) return _s.Step; } }

    /// <summary>Groups in the queue.</summary>
    public int QueueSize { get { lock (_lock) return _s.Queue.Count; } }

    /// <summary>Batches served by GET /batch since the state was created (persisted with it).</summary>
    public long BatchesServed { get { lock (_lock) return _s.BatchesServed; } }

    /// <summary>Groups received by POST /scored_data and /scored_data_list (persisted).</summary>
    public long GroupsReceived { get { lock (_lock) return _s.GroupsReceived; } }

    /// <summary>POST /register.</summary>
    /// <param name="registration">The registration.</param>
    /// <returns>The new requester's uuid (128 random bits, version 4).</returns>
    public BigInteger Register(AtroposRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        lock (_lock)
        {
            if (_s.Registration is null)
            {
                _s.Registration = registration;
                _s.Step = registration.StartingStep;
                _s.CurrentBatches.Clear();
                _s.Started = false;
                _s.Envs.Clear();
                _s.Buffer.Clear();
            }

            var uuid = new BigInteger(Guid.NewGuid().ToByteArray(bigEndian: true), isUnsigned: true, isBigEndian: true);
            _s.Requesters.Add(uuid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Persist();
            return uuid;
        }
    }

    /// <summary>GET /batch.</summary>
    /// <param name="notRegistered">Set when no trainer registered (the answer is then an error).</param>
    /// <returns>The next batch, or null when none can be formed.</returns>
    public IReadOnlyList<AtroposScoredData>? NextBatch(out bool notRegistered)
    {
        lock (_lock)
        {
            notRegistered = _s.Registration is null;
            if (notRegistered) return null;
            var changed = !_s.Started;
            _s.Started = true;
            if (_s.CurrentBatches.Count == 0)
            {
                var batchSize = _s.Registration!.BatchSize;
                var formed = 0;
                while (QueueBatching.TakeExact(_s.Queue, batchSize) is { } batch)
                {
                    _s.CurrentBatches.Add(batch);
                    formed++;
                }

                _s.Step += formed;
                changed |= formed > 0;
            }

            List<AtroposScoredData>? served = null;
            if (_s.CurrentBatches.Count > 0)
            {
                served = _s.CurrentBatches[^1];
                _s.CurrentBatches.RemoveAt(_s.CurrentBatches.Count - 1);
                _s.BatchesServed++;
                changed = true;
            }

            if (changed) Persist();
            return served;
        }
    }

    /// <summary>POST /scored_data (and each item of /scored_data_list).</summary>
    /// <param name="group">The group.</param>
    /// <returns><c>received</c>, or <c>buffered</c> with the buffered sequences of its environment.</returns>
    public (string Status, int? BufferSize) Receive(AtroposScoredData group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (_lock)
        {
            var result = ReceiveLocked(group);
            Persist();
            return result;
        }
    }

    /// <summary>POST /scored_data_list.</summary>
    /// <param name="groups">The groups.</param>
    /// <returns>How many were buffered and the last buffer size reported.</returns>
    public (int Buffered, int? LastBufferSize) ReceiveAll(IReadOnlyList<AtroposScoredData> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        lock (_lock)
        {
            var buffered = 0;
            int? last = null;
            foreach (var group in groups)
            {
                var (status, size) = ReceiveLocked(group);
                if (status == "buffered")
                {
                    buffered++;
                    last = size ?? last;
                }
            }

            Persist();
            return (buffered, last);
        }
    }

    /// <summary>POST /register-env.</summary>
    /// <param name="registration">The environment's registration.</param>
    /// <returns>The answer.</returns>
    public AtroposEnvRegistrationResult RegisterEnv(AtroposEnvRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        lock (_lock)
        {
            if (!_s.Started) return new AtroposEnvRegistrationResult(AtroposEnvRegistrationResult.WaitForTrainer);
            var id = _s.Envs.Count;
            var name = $"{registration.DesiredName}_{_s.Envs.Count(e => e.DesiredName == registration.DesiredName)}";
            _s.Envs.Add(new AtroposEnvEntry
            {
                MaxContextLength = registration.MaxTokenLength,
                Weight = registration.Weight,
                DesiredName = registration.DesiredName,
                RealName = name,
                RegisteredId = id,
                LastUpdate = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
                MinBatchAllocation = registration.MinBatchAllocation,
                GroupSize = registration.GroupSize,
            });
            Persist();
            var reg = _s.Registration!;
            return new AtroposEnvRegistrationResult(AtroposEnvRegistrationResult.Success, id, name, reg.CheckpointDirectory, (int)_s.Step, reg.SaveCheckpointInterval, reg.NumSteps);
        }
    }

    /// <summary>POST /disconnect-env.</summary>
    /// <param name="envId">The environment's id.</param>
    /// <returns>False when there is no such environment.</returns>
    public bool DisconnectEnv(int envId)
    {
        lock (_lock)
        {
            if (envId < 0 || envId >= _s.Envs.Count) return false;
            _s.Envs[envId].Connected = false;
            Persist();
            return true;
        }
    }

    /// <summary>GET /status-env: the step, the queue as seen by one environment (in its groups), and its weight.</summary>
    /// <param name="envId">The environment's id.</param>
    /// <returns>The answer's fields, or null for an unknown environment.</returns>
    public Dictionary<string, object>? EnvStatus(int envId)
    {
        lock (_lock)
        {
            if (envId < 0 || envId >= _s.Envs.Count) return null;
            var env = _s.Envs[envId];
            var total = _s.Envs.Where(e => e.Connected).Sum(e => e.MaxContextLength * Math.Max(0.0, e.Weight));
            var weight = Math.Max(0.01, total > 0 ? env.MaxContextLength * env.Weight / total : 1.0);
            var maxGroup = Math.Max(1, _s.Queue.Count == 0 ? 1 : _s.Queue.Max(g => g.Count));
            var own = _s.Queue.Where(g => g.EnvId == envId).ToList();
            if (own.Count > 0) env.GroupSize = Math.Max(env.GroupSize, own.Max(g => g.Count));
            var groupSize = Math.Max(1, env.GroupSize);
            var ownSequences = own.Sum(g => g.Count);
            var minimum = _s.Envs.Where(e => e.Connected && e.MinBatchAllocation is not null).Sum(e => e.MinBatchAllocation!.Value);
            var others = _s.Queue.Where(g => g.EnvId != envId).GroupBy(g => g.EnvId)
                .Sum(g => (int)Math.Ceiling(g.Sum(x => x.Count) / (double)maxGroup) * maxGroup);
            return new Dictionary<string, object>
            {
                ["current_step"] = _s.Step,
                ["queue_size"] = (ownSequences + others) / groupSize,
                ["unallocated_fraction"] = 1.0 - Math.Min(minimum, 1.0),
                ["self_queue_size"] = ownSequences / groupSize,
                ["max_group_size"] = maxGroup,
                ["env_weight"] = weight,
            };
        }
    }

    /// <summary>GET /latest_example: the last group queued, or null.</summary>
    /// <returns>The group or null.</returns>
    public AtroposScoredData? Latest() { lock (_lock) return _s.Latest; }

    /// <summary>GET /reset_data: forgets the registration, queue, batches, environments and buffers.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _s = new Snapshot();
            Persist();
        }
    }

    private (string Status, int? BufferSize) ReceiveLocked(AtroposScoredData group)
    {
        _s.GroupsReceived++;
        if (group.EnvId is { } envId && envId >= 0 && envId < _s.Envs.Count)
        {
            var expected = _s.Envs[envId].GroupSize;
            if (group.Count != expected)
            {
                if (!_s.Buffer.TryGetValue(envId, out var buffer)) _s.Buffer[envId] = buffer = [];
                buffer.Add(group);
                var indices = QueueBatching.FindGroupsSummingTo(buffer.Select(g => g.Count).ToList(), expected);
                if (indices.Count > 0)
                {
                    foreach (var i in indices)
                    {
                        _s.Queue.Add(buffer[i]);
                        _s.Latest = buffer[i];
                    }

                    var remove = indices.ToHashSet();
                    var rest = buffer.Where((_, i) => !remove.Contains(i)).ToList();
                    buffer.Clear();
                    buffer.AddRange(rest);
                }

                return ("buffered", buffer.Sum(g => g.Count));
            }
        }

        _s.Queue.Add(group);
        _s.Latest = group;
        return ("received", null);
    }

    private void Persist()
    {
        if (StatePath is null) return;
        AtomicFile.Write(StatePath, stream => JsonSerializer.Serialize(stream, _s, SnapshotJson));
    }

    /// <summary>Everything the server keeps, as persisted.</summary>
    private sealed class Snapshot
    {
        [JsonPropertyName("registration")]
        public AtroposRegistration? Registration { get; set; }

        [JsonPropertyName("requesters")]
        public List<string> Requesters { get; set; } = [];

        [JsonPropertyName("queue")]
        public List<AtroposScoredData> Queue { get; set; } = [];

        [JsonPropertyName("curr_batch")]
        public List<List<AtroposScoredData>> CurrentBatches { get; set; } = [];

        [JsonPropertyName("step")]
        public long Step { get; set; }

        [JsonPropertyName("started")]
        public bool Started { get; set; }

        [JsonPropertyName("envs")]
        public List<AtroposEnvEntry> Envs { get; set; } = [];

        [JsonPropertyName("buffer")]
        public Dictionary<int, List<AtroposScoredData>> Buffer { get; set; } = [];

        [JsonPropertyName("latest")]
        public AtroposScoredData? Latest { get; set; }

        [JsonPropertyName("batches_served")]
        public long BatchesServed { get; set; }

        [JsonPropertyName("groups_received")]
        public long GroupsReceived { get; set; }
    }
}
