// What `doctor rl` reads from an RL run directory: run.json settings, metrics.jsonl rows, token-boundary summaries.
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.Training.Rl;

namespace MaskedSft.MLNet.Doctor;

/// <summary>The files of an RL run directory, parsed: <c>run.json</c> (optional), <c>metrics.jsonl</c> (required) and
/// <c>token_boundaries.jsonl</c> (optional).</summary>
public sealed class RlRunRecord
{
    private RlRunRecord(string directory, IReadOnlyDictionary<string, JsonElement> settings, IReadOnlyList<IReadOnlyDictionary<string, double>> steps,
        IReadOnlyList<(long Step, int PromptLength, int TrainedInPrompt, int TrainedTokens)>? boundaries)
    {
        Directory = directory;
        Settings = settings;
        Steps = steps;
        Boundaries = boundaries;
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }

    /// <summary>run.json's fields (empty when the file is absent).</summary>
    public IReadOnlyDictionary<string, JsonElement> Settings { get; }

    /// <summary>metrics.jsonl's rows: every numeric field by name.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Steps { get; }

    /// <summary>token_boundaries.jsonl's rows, or null when the file is absent.</summary>
    public IReadOnlyList<(long Step, int PromptLength, int TrainedInPrompt, int TrainedTokens)>? Boundaries { get; }

    /// <summary>The values of one metric over the steps that have it.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The values in step order.</returns>
    public double[] Series(string name) => Steps.Where(s => s.ContainsKey(name)).Select(s => s[name]).ToArray();

    /// <summary>A run.json setting as a number, or null.</summary>
    /// <param name="name">The field.</param>
    /// <returns>The value.</returns>
    public double? Number(string name) => Settings.TryGetValue(name, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null;

    /// <summary>A run.json setting as text (numbers and booleans as text too), or null.</summary>
    /// <param name="name">The field.</param>
    /// <returns>The value.</returns>
    public string? Text(string name) => Settings.TryGetValue(name, out var e) && e.ValueKind != JsonValueKind.Null ? e.ToString() : null;

    /// <summary>Reads a run directory.</summary>
    /// <param name="directory">The run directory.</param>
    /// <returns>The record.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">metrics.jsonl is missing.</exception>
    /// <exception cref="InvalidDataException">A line is not valid JSON (the message names the file and line).</exception>
    public static RlRunRecord Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"run directory '{directory}' does not exist.");
        var metricsPath = Path.Combine(directory, "metrics.jsonl");
        if (!File.Exists(metricsPath))
            throw new FileNotFoundException($"'{metricsPath}' is missing. Hint: doctor rl reads the metrics.jsonl of a GRPO / Atropos run.", metricsPath);
        var settings = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var runPath = Path.Combine(directory, OnPolicyGrpoTrainer.RunFileName);
        if (File.Exists(runPath))
        {
            using var doc = Parse(File.ReadAllText(runPath), runPath, 1);
            foreach (var p in doc.RootElement.EnumerateObject()) settings[p.Name] = p.Value.Clone();
        }

        var steps = new List<IReadOnlyDictionary<string, double>>();
        var line = 0;
        foreach (var text in File.ReadLines(metricsPath))
        {
            line++;
            if (text.Length == 0) continue;
            using var doc = Parse(text, metricsPath, line);
            var row = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Number) row[p.Name] = p.Value.GetDouble();
                else if (p.Value.ValueKind == JsonValueKind.String && double.TryParse(p.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) row[p.Name] = v;
            }

            steps.Add(row);
        }

        var boundaryPath = Path.Combine(directory, TokenBoundaryLog.FileName);
        var boundaries = File.Exists(boundaryPath) ? TokenBoundaryLog.ReadSummary(boundaryPath) : null;
        return new RlRunRecord(directory, settings, steps, boundaries);
    }

    private static JsonDocument Parse(string text, string path, int line)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{line}: not valid JSON ({e.Message}).", e);
        }
    }
}
