// The files every trainer's checkpoint shares: the optimizer state (safetensors) and finding the newest checkpoint folder.
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Training;

/// <summary>Helpers the dataset <see cref="Trainer"/> and the Atropos trainer share for their checkpoint folders.</summary>
public static class CheckpointFiles
{
    /// <summary>Writes the optimizer's state (<see cref="Optimizer.GetState"/>) to <c>optimizer.safetensors</c> in the folder.</summary>
    /// <param name="folder">The checkpoint folder being written.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <returns>The names of the state tensors written.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IReadOnlyCollection<string> SaveOptimizer(string folder, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(optimizer);
        var state = optimizer.GetState();
        try
        {
            SafetensorsTensorIO.Save(Path.Combine(folder, CheckpointMetadata.OptimizerFileName), state);
            return state.Keys.ToList();
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Loads <c>optimizer.safetensors</c> of a checkpoint folder into the optimizer, on <paramref name="device"/>.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="optimizer">The optimizer (over the same named parameters).</param>
    /// <param name="device">Where the parameters live.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void LoadOptimizer(string folder, Optimizer optimizer, Device device)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(optimizer);
        using var file = SafetensorsFile.Open(Path.Combine(folder, CheckpointMetadata.OptimizerFileName));
        using var scope = new DisposeScope();
        try
        {
            var state = file.Tensors.ToDictionary(t => t.Name, t => file.ReadTensor(t.Name, device), StringComparer.Ordinal);
            optimizer.LoadState(state);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or TorchException)
        {
            throw new InvalidDataException($"{file.FilePath}: the optimizer state does not fit this trainer's parameters: {e.Message}", e);
        }
    }

    /// <summary>The checkpoint folder a path names: the path itself when it holds <paramref name="markerFile"/>, else the newest
    /// step-NNNNNNNN folder under it or under its checkpoints/ folder; null when there is none.</summary>
    /// <param name="path">A checkpoint folder, a checkpoints/ folder or a run directory.</param>
    /// <param name="markerFile">The file that marks a checkpoint folder (e.g. trainer.json).</param>
    /// <returns>The folder or null.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static string? Resolve(string path, string markerFile)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(markerFile);
        if (File.Exists(Path.Combine(path, markerFile))) return path;
        foreach (var candidate in new[] { path, Path.Combine(path, "checkpoints") })
        {
            var list = CheckpointStore.ListIn(candidate);
            if (list.Count > 0) return list[^1].Path;
        }

        return null;
    }
}
