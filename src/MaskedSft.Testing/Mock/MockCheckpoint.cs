// Checkpoints of mock training: model and AdamW state as safetensors, step and hard-example tracker as JSON, written atomically.
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// A checkpoint directory <c>step_NNNNNN/</c> holding <c>model.safetensors</c> (parameters), <c>optimizer.safetensors</c>
/// (AdamW moments and steps) and <c>trainer_state.json</c> (format version, step, seed, hard-example tracker state).
/// The directory is written under a temporary name and renamed, so a crash never leaves a partial checkpoint.
/// </summary>
public static class MockCheckpoint
{
    /// <summary>The format version written to trainer_state.json.</summary>
    public const int FormatVersion = 1;

    /// <summary>The trainer state stored beside the tensors.</summary>
    /// <param name="FormatVersion">Layout version.</param>
    /// <param name="Step">Steps completed.</param>
    /// <param name="Seed">Seed of the run.</param>
    /// <param name="HardExamples">Tracker state, or null when tracking is off.</param>
    public sealed record TrainerState(int FormatVersion, long Step, ulong Seed, HardExampleTrackerState? HardExamples);

    /// <summary>Saves a checkpoint under <paramref name="checkpointDir"/>.</summary>
    /// <param name="checkpointDir">The parent directory.</param>
    /// <param name="step">Steps completed.</param>
    /// <param name="seed">Seed of the run.</param>
    /// <param name="model">The model.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="tracker">The hard-example tracker, or null.</param>
    /// <returns>The checkpoint directory.</returns>
    /// <exception cref="ArgumentNullException">When a required argument is null.</exception>
    /// <exception cref="IOException">When the file system fails.</exception>
    public static string Save(string checkpointDir, long step, ulong seed, MockLossModel model, AdamW optimizer, HardExampleTracker? tracker)
    {
        ArgumentNullException.ThrowIfNull(checkpointDir);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        Directory.CreateDirectory(checkpointDir);
        var final = Path.Combine(Path.GetFullPath(checkpointDir), string.Create(CultureInfo.InvariantCulture, $"step_{step:D6}"));
        var temporary = $"{final}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(temporary);
        try
        {
            var metadata = new Dictionary<string, string>
            {
                ["format"] = "maskedsft-mock-checkpoint",
                ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
                ["step"] = step.ToString(CultureInfo.InvariantCulture),
            };
            SafetensorsTensorIO.Save(Path.Combine(temporary, "model.safetensors"), model.NamedParameters().ToDictionary(p => p.Name, p => (Tensor)p.Parameter), metadata);
            var state = optimizer.GetState();
            try
            {
                SafetensorsTensorIO.Save(Path.Combine(temporary, "optimizer.safetensors"), state, metadata);
            }
            finally
            {
                foreach (var t in state.Values)
                {
                    t.Dispose();
                }
            }

            var trainer = new TrainerState(FormatVersion, step, seed, tracker?.SaveState());
            File.WriteAllText(Path.Combine(temporary, "trainer_state.json"), JsonSerializer.Serialize(trainer, HardExampleJson.Options));
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }

            Directory.Move(temporary, final);
            return final;
        }
        catch
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }

            throw;
        }
    }

    /// <summary>Loads a checkpoint into <paramref name="model"/> and <paramref name="optimizer"/> and returns its trainer state.</summary>
    /// <param name="directory">A directory written by <see cref="Save"/>.</param>
    /// <param name="model">A model of the same shape (its parameters are overwritten).</param>
    /// <param name="optimizer">An AdamW over <paramref name="model"/>'s parameters (its state is overwritten).</param>
    /// <returns>The trainer state.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="InvalidDataException">When a file is missing or the state is not a mock checkpoint of this version.</exception>
    /// <exception cref="SafetensorsFormatException">When a tensor file is malformed.</exception>
    public static TrainerState Load(string directory, MockLossModel model, AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var name in new[] { "model.safetensors", "optimizer.safetensors", "trainer_state.json" })
        {
            if (!File.Exists(Path.Combine(directory, name)))
            {
                throw new InvalidDataException($"checkpoint '{directory}' has no {name}. Hint: pass a step_NNNNNN directory written by mock-train.");
            }
        }

        var statePath = Path.Combine(directory, "trainer_state.json");
        TrainerState trainer;
        try
        {
            trainer = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), HardExampleJson.Options)
                ?? throw new InvalidDataException("the file holds JSON null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"checkpoint file '{statePath}' is not valid trainer state: {ex.Message}", ex);
        }

        if (trainer.FormatVersion != FormatVersion)
        {
            throw new InvalidDataException($"checkpoint '{directory}' has format version {trainer.FormatVersion}; this library reads {FormatVersion}.");
        }

        var parameters = SafetensorsTensorIO.Load(Path.Combine(directory, "model.safetensors"));
        try
        {
            model.LoadParameters(parameters);
        }
        finally
        {
            foreach (var t in parameters.Values)
            {
                t.Dispose();
            }
        }

        var optimizerState = SafetensorsTensorIO.Load(Path.Combine(directory, "optimizer.safetensors"));
        try
        {
            optimizer.LoadState(optimizerState);
        }
        finally
        {
            foreach (var t in optimizerState.Values)
            {
                t.Dispose();
            }
        }

        return trainer;
    }
}
