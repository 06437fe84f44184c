// Which Linear layers of a model a LoRA config adapts (peft's check_target_module_exists over named_modules), with clear errors.
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>Resolves a config's target and exclude selections against a model's module tree.</summary>
internal static class LoraTargeting
{
    /// <summary>The selected Linear layers with their paths, in module order.</summary>
    /// <exception cref="ArgumentException">Nothing matched, or everything matched was excluded.</exception>
    /// <exception cref="NotSupportedException">A selected module is not a Linear layer, or is the output head lm_head.</exception>
    /// <exception cref="InvalidOperationException">A selected layer already has an adapter.</exception>
    public static List<(string Path, Linear Layer)> Resolve(Module model, LoraConfig config)
    {
        var selected = new List<(string, Linear)>();
        var excluded = new List<string>();
        foreach (var (path, module) in model.NamedModules())
        {
            if (path.Length == 0) continue;
            var targeted = config.TargetModules.IsAllLinear
                ? module is Linear && config.TargetModules.Matches(path)
                : config.TargetModules.Matches(path) && config.AdmitsLayerOf(path);
            if (!targeted) continue;
            if (config.ExcludeModules?.Matches(path) == true)
            {
                excluded.Add(path);
                continue;
            }

            if (module is not Linear linear)
            {
                throw new NotSupportedException(
                    $"target module '{path}' (matched by target_modules {config.TargetModules}) is a {module.GetType().Name}; LoRA adapts Linear layers only. " +
                    $"Hint: name Linear layers such as {LinearNamesHint(model)}.");
            }

            if (ModuleSelector.LastComponent(path) == "lm_head")
            {
                throw new NotSupportedException(
                    $"target module '{path}' (matched by target_modules {config.TargetModules}) is the output head; LoRA on the head is not supported: " +
                    "the losses and log-probs project through the head weight directly (only the supervised rows), past any adapter. Hint: leave lm_head out of target_modules (peft's all-linear does).");
            }

            if (linear.Adapter is not null)
            {
                throw new InvalidOperationException(
                    $"'{path}' already has an adapter ({linear.Adapter.GetType().Name}); one LoRA model per layer. Hint: dispose the other LoRA model or merge and unload it first.");
            }

            selected.Add((path, linear));
        }

        if (selected.Count == 0 && excluded.Count > 0)
        {
            throw new ArgumentException(
                $"every module target_modules {config.TargetModules} matched is excluded by exclude_modules {config.ExcludeModules} (e.g. '{excluded[0]}').");
        }

        if (selected.Count == 0)
        {
            var layers = config.LayersToTransform is null ? string.Empty : $" with layers_to_transform [{string.Join(", ", config.LayersToTransform)}]";
            throw new ArgumentException(
                $"target_modules {config.TargetModules}{layers} matched no module of {model.GetType().Name}. Hint: its Linear layers are named {LinearNamesHint(model)}.");
        }

        return selected;
    }

    /// <summary>The distinct last names of the model's Linear layers with one full path, for error hints.</summary>
    private static string LinearNamesHint(Module model)
    {
        var linears = model.NamedModules().Where(m => m.Module is Linear && m.Name.Length > 0).Select(m => m.Name).ToList();
        if (linears.Count == 0) return "(none: the model has no Linear layer)";
        var names = linears.Select(ModuleSelector.LastComponent).Distinct(StringComparer.Ordinal);
        return $"[{string.Join(", ", names)}] (e.g. '{linears[0]}')";
    }
}
