// Which modules a LoRA config names (peft's target_modules / exclude_modules): a list of names, a regex, or "all-linear".
using System.Text.RegularExpressions;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>
/// A selection of modules by their dotted path in the model (<c>model.layers.0.self_attn.q_proj</c>), with peft's rules:
/// a list of names selects a module whose path equals a name or ends with <c>"." + name</c> (so <c>q_proj</c> and
/// <c>self_attn.q_proj</c> both work); a pattern selects a module whose whole path the regular expression matches
/// (Python's <c>re.fullmatch</c>); <see cref="AllLinear"/> selects every Linear layer except the output head (peft's
/// <c>"all-linear"</c>).
/// </summary>
public sealed class ModuleSelector
{
    /// <summary>peft's shorthand for every Linear layer but the output head.</summary>
    public const string AllLinearShorthand = "all-linear";

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private readonly Regex? _regex;

    private ModuleSelector(IReadOnlyList<string>? names, string? pattern, bool allLinear)
    {
        Names = names;
        Pattern = pattern;
        IsAllLinear = allLinear;
        if (pattern is not null)
        {
            try
            {
                _regex = new Regex($"^(?:{FromPythonSyntax(pattern)})\\z", RegexOptions.CultureInvariant, MatchTimeout);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"module pattern '{pattern}' is not a valid regular expression: {e.Message}", nameof(pattern), e);
            }
        }
    }

    /// <summary>The names of a list selection, or null.</summary>
    public IReadOnlyList<string>? Names { get; }

    /// <summary>The regular expression of a pattern selection (Python syntax, matched against the whole path), or null.</summary>
    public string? Pattern { get; }

    /// <summary>True for <see cref="AllLinear"/>.</summary>
    public bool IsAllLinear { get; }

    /// <summary>Every Linear layer except one named <c>lm_head</c> (the output layer of Hugging Face causal LMs; a head
    /// tied to the embedding is no Linear layer and never selected), as peft's <c>"all-linear"</c>.</summary>
    public static ModuleSelector AllLinear { get; } = new(null, null, allLinear: true);

    /// <summary>Selects modules by name: a path equal to a name or ending in <c>"." + name</c>.</summary>
    /// <param name="names">One or more names (<c>q_proj</c>, <c>mlp.down_proj</c>, or full paths).</param>
    /// <returns>The selection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="names"/> is null.</exception>
    /// <exception cref="ArgumentException">The list is empty or a name is empty.</exception>
    public static ModuleSelector FromNames(params IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names.ToList();
        if (list.Count == 0)
            throw new ArgumentException("a module name list needs at least one name (e.g. q_proj, v_proj).", nameof(names));
        if (list.Any(string.IsNullOrEmpty))
            throw new ArgumentException("module names must not be empty.", nameof(names));
        return new ModuleSelector(list.Distinct(StringComparer.Ordinal).ToList(), null, allLinear: false);
    }

    /// <summary>Selects modules whose whole dotted path matches a regular expression (Python syntax as peft's
    /// <c>re.fullmatch</c>; <c>(?P&lt;name&gt;...)</c> groups are accepted). <c>"all-linear"</c> (any case) gives
    /// <see cref="AllLinear"/>, as in peft.</summary>
    /// <param name="pattern">The expression, e.g. <c>.*\.(q_proj|v_proj)</c>.</param>
    /// <returns>The selection.</returns>
    /// <exception cref="ArgumentException">The pattern is empty or not a valid regular expression.</exception>
    public static ModuleSelector FromPattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return string.Equals(pattern, AllLinearShorthand, StringComparison.OrdinalIgnoreCase)
            ? AllLinear
            : new ModuleSelector(null, pattern, allLinear: false);
    }

    /// <summary>Whether the module at <paramref name="path"/> is selected by name or pattern. For
    /// <see cref="AllLinear"/> this only excludes the head by name; the caller checks that the module is a Linear layer.</summary>
    /// <param name="path">The module's dotted path.</param>
    /// <returns>True when selected.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsAllLinear) return LastComponent(path) != "lm_head";
        if (_regex is not null) return _regex.IsMatch(path);
        foreach (var name in Names!)
        {
            if (path == name || (path.Length > name.Length && path.EndsWith(name, StringComparison.Ordinal) && path[path.Length - name.Length - 1] == '.'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The selection as peft writes it: a name list, the pattern, or "all-linear".</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        IsAllLinear ? AllLinearShorthand : Pattern is not null ? $"'{Pattern}'" : $"[{string.Join(", ", Names!)}]";

    /// <summary>The last component of a dotted path.</summary>
    internal static string LastComponent(string path) => path[(path.LastIndexOf('.') + 1)..];

    /// <summary>A Python regular expression in .NET syntax: named groups <c>(?P&lt;n&gt;</c> and back-references
    /// <c>(?P=n)</c> (the rest of the syntax peft configs use is the same).</summary>
    internal static string FromPythonSyntax(string pattern) =>
        Regex.Replace(pattern.Replace("(?P<", "(?<", StringComparison.Ordinal), @"\(\?P=(\w+)\)", @"\k<$1>");
}
