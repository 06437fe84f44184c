// Checkpoint checks of the doctor: moments present, scheduler step == global step, RNG and loader state, weights load.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Doctor;

/// <summary>Checks of a trainer checkpoint (failure mode 13: state saved but not loaded, an extra step, RNG missing).</summary>
public static class CheckpointDoctor
{
    /// <summary>Name of <see cref="Contents"/>.</summary>
    public const string ContentsName = "checkpoint-contents";

    /// <summary>
    /// The checkpoint must hold: weights that load (a tiny GPT's into the configuration they carry); AdamW moments for every parameter, non-zero,
    /// with a per-parameter step equal to the global step; a scheduler step equal to the global step; a CPU RNG state; a
    /// loader state with a fingerprint; when trainer.json names a hard-example state, a file that loads (sorted, distinct
    /// keys, within capacity) with no entry from a step after the checkpoint's.
    /// </summary>
    /// <param name="checkpoint">A checkpoint folder, a checkpoints folder or a run directory.</param>
    /// <returns>The result; measured: step, parameters, parameters_with_moments, bad_steps, zero_moments, hard_examples (entries; -1 without tracker state).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoint"/> is null.</exception>
    public static CheckResult Contents(string checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return CheckResult.Guard(ContentsName, () =>
        {
            var folder = Trainer.ResolveCheckpoint(checkpoint);
            var meta = CheckpointMetadata.Read(folder);
            var problems = new List<string>();
            var weightsPath = Path.Combine(folder, CheckpointMetadata.ModelFileName);
            List<string> names;
            using (var weights = SafetensorsFile.Open(weightsPath))
            {
                names = weights.Tensors.Select(t => t.Name).ToList();
            }

            if (meta.Architecture == TinyGpt.ArchitectureName)
            {
                using var model = TinyGpt.Load(weightsPath); // the weights load into the configuration they carry
            }

            if (meta.Scheduler.Step != meta.Step) problems.Add($"scheduler step {meta.Scheduler.Step} != global step {meta.Step}");
            if (string.IsNullOrEmpty(meta.CpuRngState) || Convert.FromBase64String(meta.CpuRngState).Length == 0) problems.Add("no RNG state");
            if (meta.Loader is null || string.IsNullOrEmpty(meta.Loader.Fingerprint)) problems.Add("no loader state (or no fingerprint)");
            int parameters = 0, withMoments = 0, badSteps = 0, zeroMoments = 0;
            using (var file = SafetensorsFile.Open(Path.Combine(folder, CheckpointMetadata.OptimizerFileName)))
            using (var scope = new DisposeScope())
            {
                foreach (var name in names)
                {
                    parameters++;
                    if (!file.Contains($"{name}.exp_avg")) continue;
                    withMoments++;
                    var step = file.ReadTensor($"{name}.step", Device.Cpu).Item<long>();
                    if (step != meta.Step) badSteps++;
                    if (file.ReadTensor($"{name}.exp_avg_sq", Device.Cpu).Abs().Max().Item<double>() == 0) zeroMoments++;
                }
            }

            if (meta.Step > 0 && withMoments < parameters) problems.Add($"{parameters - withMoments} parameter(s) have no optimizer moments");
            if (badSteps > 0) problems.Add($"{badSteps} parameter(s) have an optimizer step != {meta.Step}");
            if (zeroMoments > 0) problems.Add($"{zeroMoments} parameter(s) have all-zero second moments");
            var hardExamples = -1;
            if (meta.HardExamplesFile is { } hardFile)
            {
                var hardPath = Path.Combine(folder, hardFile);
                if (!File.Exists(hardPath))
                {
                    problems.Add($"trainer.json names {hardFile} but the file is missing");
                }
                else
                {
                    try
                    {
                        var tracker = HardExampleTracker.Load(hardPath);
                        hardExamples = tracker.Count;
                        if (tracker.Entries.Any(e => e.Step > meta.Step)) problems.Add($"{hardFile} has entries from after step {meta.Step}");
                    }
                    catch (InvalidDataException e)
                    {
                        problems.Add(e.Message);
                    }
                }
            }

            var passed = problems.Count == 0;
            return new CheckResult(
                ContentsName,
                passed,
                CheckResult.Values(("step", meta.Step), ("parameters", parameters), ("parameters_with_moments", withMoments), ("bad_steps", badSteps), ("zero_moments", zeroMoments), ("hard_examples", hardExamples)),
                passed
                    ? $"{Path.GetFileName(folder)}: weights load, moments for all {parameters} parameters at step {meta.Step}, scheduler step {meta.Scheduler.Step}, RNG and loader state present{(hardExamples >= 0 ? $", {hardExamples} hard examples" : string.Empty)}"
                    : $"{Path.GetFileName(folder)}: {string.Join("; ", problems)}.");
        });
    }
}
