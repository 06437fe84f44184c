// The settings of a LoRA adapter with peft's LoraConfig meaning: targets, rank, alpha, dropout, rsLoRA, per-module patterns.
using System.Globalization;
using System.Text.RegularExpressions;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>
/// LoRA settings with the meaning of peft's <c>LoraConfig</c> (the names in <c>adapter_config.json</c> are given per
/// property). Each selected Linear layer <c>y = x Wᵀ + b</c> becomes <c>y = x Wᵀ + b + dropout(x) Aᵀ Bᵀ · scale</c> with A
/// (r, in), B (out, r) and <c>scale = alpha / r</c>, or <c>alpha / sqrt(r)</c> with <see cref="UseRsLora"/>. Bias "none"
/// (no bias is trained) is the only bias mode.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>The modules to adapt (<c>target_modules</c>): e.g. <c>ModuleSelector.FromNames("q_proj", "v_proj")</c>.</summary>
    public required ModuleSelector TargetModules { get; init; }

    /// <summary>Modules never adapted even when targeted (<c>exclude_modules</c>), or null.</summary>
    public ModuleSelector? ExcludeModules { get; init; }

    /// <summary>The rank r (<c>r</c>); default 8.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>The scaling numerator alpha (<c>lora_alpha</c>); default 8.</summary>
    public double Alpha { get; init; } = 8;

    /// <summary>Dropout on the adapter's input while the base model is in training mode (<c>lora_dropout</c>), in [0, 1);
    /// default 0. Keep 0 with gradient checkpointing: a recomputed block would draw other dropout masks.</summary>
    public double Dropout { get; init; }

    /// <summary>rsLoRA scaling alpha / sqrt(r) instead of alpha / r (<c>use_rslora</c>).</summary>
    public bool UseRsLora { get; init; }

    /// <summary>Per-module ranks (<c>rank_pattern</c>): the first key (in order) such that the module path matches
    /// <c>(.*\.)?(key)$</c> gives the rank; other modules use <see cref="Rank"/>.</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-module alphas (<c>alpha_pattern</c>), matched as <see cref="RankPattern"/>.</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>Only these layer indices (<c>layers_to_transform</c>), or null for all; only with a name list in
    /// <see cref="TargetModules"/>. The index is the number after the first <c>.{pattern}.</c> in the path (any
    /// <c>.name.N.</c> when <see cref="LayersPattern"/> is null).</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    /// <summary>Names of the layer lists for <see cref="LayersToTransform"/> (<c>layers_pattern</c>, e.g. "layers"), or null.</summary>
    public IReadOnlyList<string>? LayersPattern { get; init; }

    /// <summary>Initial values of new adapters (<c>init_lora_weights</c>).</summary>
    public LoraInit Init { get; init; } = LoraInit.Default;

    /// <summary>The base model the adapter belongs to (<c>base_model_name_or_path</c>), written to the config; informational.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>The scale for a rank and alpha under this config (alpha / r, or alpha / sqrt(r) with rsLoRA).</summary>
    /// <param name="rank">The rank.</param>
    /// <param name="alpha">The alpha.</param>
    /// <returns>The scale.</returns>
    public double ScalingFor(int rank, double alpha) => UseRsLora ? alpha / Math.Sqrt(rank) : alpha / rank;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range or the combination is one peft rejects.</exception>
    public void Validate()
    {
        if (TargetModules is null)
            throw new ArgumentException("LoraConfig.TargetModules (target_modules) is required, e.g. ModuleSelector.FromNames(\"q_proj\", \"v_proj\").");
        if (Rank <= 0)
            throw new ArgumentException($"LoraConfig.Rank (r) must be positive; got {Rank}.");
        if (!double.IsFinite(Alpha))
            throw new ArgumentException($"LoraConfig.Alpha (lora_alpha) must be finite; got {Alpha}.");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ArgumentException($"LoraConfig.Dropout (lora_dropout) must be in [0, 1); got {Dropout}.");
        foreach (var (key, r) in RankPattern)
        {
            CheckPatternKey(key, "rank_pattern");
            if (r <= 0) throw new ArgumentException($"rank_pattern['{key}'] must be a positive rank; got {r}.");
        }

        foreach (var (key, alpha) in AlphaPattern)
        {
            CheckPatternKey(key, "alpha_pattern");
            if (!double.IsFinite(alpha)) throw new ArgumentException($"alpha_pattern['{key}'] must be finite; got {alpha}.");
        }

        if (LayersToTransform is not null && TargetModules.Names is null)
            throw new ArgumentException("layers_to_transform works only with a list of target module names, not with a pattern or all-linear (as in peft).");
        if (LayersPattern is { Count: > 0 } && LayersToTransform is null)
            throw new ArgumentException("layers_pattern needs layers_to_transform (as in peft).");
    }

    /// <summary>The rank and alpha of the module at <paramref name="path"/> (peft's get_pattern_key over the patterns).</summary>
    internal (int Rank, double Alpha) RankAndAlphaFor(string path)
    {
        var rank = PatternValue(RankPattern, path) ?? Rank;
        var alpha = PatternValue(AlphaPattern, path) ?? Alpha;
        return (rank, alpha);
    }

    /// <summary>Whether <see cref="LayersToTransform"/> admits the module at <paramref name="path"/>.</summary>
    internal bool AdmitsLayerOf(string path)
    {
        if (LayersToTransform is not { Count: > 0 } layers) return true;
        // peft: re.match(rf".*?\.{pattern}\.(\d+)\.", key) for each layers_pattern (a regex), or any ".name.N." without one.
        IEnumerable<string> patterns = LayersPattern is { Count: > 0 } named ? named.Select(ModuleSelector.FromPythonSyntax) : ["[^.]*"];
        foreach (var pattern in patterns)
        {
            var match = Regex.Match(path, $@"^.*?\.{pattern}\.(\d+)\.", RegexOptions.CultureInvariant);
            if (match.Success)
            {
                return layers.Contains(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }

        return false;
    }

    private static T? PatternValue<T>(IReadOnlyDictionary<string, T> patterns, string path)
        where T : struct
    {
        foreach (var (key, value) in patterns)
        {
            if (Regex.IsMatch(path, $@"^(.*\.)?({ModuleSelector.FromPythonSyntax(key)})$", RegexOptions.CultureInvariant))
            {
                return value;
            }
        }

        return null;
    }

    private static void CheckPatternKey(string key, string field)
    {
        try
        {
            _ = new Regex(ModuleSelector.FromPythonSyntax(key));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{field} key '{key}' is not a valid regular expression: {e.Message}", e);
        }
    }
}
