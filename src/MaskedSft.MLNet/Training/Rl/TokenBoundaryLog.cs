// Seed 004 H02's token-boundary view: sampled rows decoded as runs of trained / untrained tokens, appended to a JSONL file.
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.IO;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// Appends sampled rows of RL batches to <c>token_boundaries.jsonl</c>: per row the step, group, score, prompt length, how
/// many trained targets lie inside the prompt, and the row's tokens as consecutive segments
/// <c>{"trained": bool, "text": "..."}</c> decoded with an <see cref="ITokenDecoder"/>, so a reader sees exactly which
/// text the loss trains. Rows are drawn with a seeded per-step generator (the first row of step 1 always), so a rerun
/// samples the same rows. Lines are step-indexed: a resumed run cuts the file back to its checkpoint's step.
/// </summary>
public sealed class TokenBoundaryLog : IDisposable
{
    /// <summary>The file name in a run directory.</summary>
    public const string FileName = "token_boundaries.jsonl";

    private readonly StepJsonLinesFile _file;
    private readonly ITokenDecoder _decoder;
    private readonly double _sampleRate;
    private readonly ulong _seed;

    /// <summary>Opens (appends to) the file.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="decoder">Turns token ids into text (<see cref="TokenIdDecoder.Instance"/> without a tokenizer).</param>
    /// <param name="sampleRate">Probability that a row is written, in [0, 1].</param>
    /// <param name="seed">Seed of the row sampling.</param>
    /// <param name="keepUpToStep">On resume: lines of later steps are dropped.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1].</exception>
    public TokenBoundaryLog(string path, ITokenDecoder decoder, double sampleRate = 0.05, ulong seed = 0, long? keepUpToStep = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        if (!(sampleRate is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "the sample rate must be in [0, 1].");
        _file = new StepJsonLinesFile(path, keepUpToStep);
        _decoder = decoder;
        _sampleRate = sampleRate;
        _seed = seed;
    }

    /// <summary>The file path.</summary>
    public string Path => _file.Path;

    /// <summary>Writes the sampled rows of a step's batches.</summary>
    /// <param name="step">The step (1-based).</param>
    /// <param name="batches">The step's batches.</param>
    /// <returns>Rows written.</returns>
    public int Write(long step, IReadOnlyList<RlBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var random = new Random(unchecked((int)(_seed * 1_000_003UL + (ulong)step)));
        var written = 0;
        for (var bi = 0; bi < batches.Count; bi++)
        {
            var batch = batches[bi];
            for (var r = 0; r < batch.Rows; r++)
            {
                var always = step == 1 && bi == 0 && r == 0;
                if (!always && random.NextDouble() >= _sampleRate) continue;
                WriteRow(step, batch, r);
                written++;
            }
        }

        return written;
    }

    /// <summary>Reads every row of a boundary file: (step, prompt length, trained targets inside the prompt, trained tokens).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The rows.</returns>
    public static IReadOnlyList<(long Step, int PromptLength, int TrainedInPrompt, int TrainedTokens)> ReadSummary(string path)
    {
        var rows = new List<(long, int, int, int)>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            rows.Add((e.GetProperty("step").GetInt64(), e.GetProperty("prompt_length").GetInt32(), e.GetProperty("trained_in_prompt").GetInt32(),
                e.GetProperty("trained_tokens").GetInt32()));
        }

        return rows;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private void WriteRow(long step, RlBatch batch, int r)
    {
        var inputs = batch.Row(batch.InputIds, r);
        var targets = batch.Row(batch.TargetIds, r);
        var mask = batch.Row(batch.LossMask, r);
        var real = batch.TargetCounts[r];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            json.WriteNumber("group", batch.GroupIds[r]);
            json.WriteNumber("score", batch.Scores[r]);
            json.WriteBoolean("truncated", batch.Truncated[r]);
            json.WriteNumber("prompt_length", batch.PromptLengths[r]);
            var trainedInPrompt = 0;
            var trainedTokens = 0;
            for (var t = 0; t < real; t++)
            {
                if (mask[t] == 0 || targets[t] == RlBatch.IgnoreIndex) continue;
                trainedTokens++;
                if (t < batch.PromptLengths[r] - 1) trainedInPrompt++;
            }

            json.WriteNumber("trained_in_prompt", trainedInPrompt);
            json.WriteNumber("trained_tokens", trainedTokens);
            json.WriteStartArray("segments");
            var ids = new List<int> { (int)inputs[0] };
            var trained = false;
            for (var t = 0; t < real; t++)
            {
                var isTrained = mask[t] != 0 && targets[t] != RlBatch.IgnoreIndex;
                if (isTrained != trained && ids.Count > 0)
                {
                    Segment(json, trained, ids);
                    ids.Clear();
                }

                trained = isTrained;
                ids.Add((int)targets[t]);
            }

            if (ids.Count > 0) Segment(json, trained, ids);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        _file.WriteLine(buffer.WrittenSpan);
    }

    private void Segment(Utf8JsonWriter json, bool trained, List<int> ids)
    {
        json.WriteStartObject();
        json.WriteBoolean("trained", trained);
        json.WriteString("text", _decoder.Decode(ids.ToArray()));
        json.WriteEndObject();
    }
}
