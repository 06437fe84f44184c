// The exception a tensor lookup or copy raises when the stored tensor is missing or does not fit: names the tensor, the
// file(s) searched, what was expected and what is there, and a hint.
namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Raised when a tensor asked for is not in the safetensors file(s) (the message lists every file searched), or when a
/// stored tensor does not fit its destination (shape or dtype: expected and actual). A well-formed file that belongs to
/// another model configuration raises this; a malformed file raises <see cref="SafetensorsFormatException"/>. It is an
/// <see cref="IOException"/>, so callers that report I/O failures report it too.
/// </summary>
public sealed class SafetensorsTensorException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="tensorName">The tensor concerned.</param>
    /// <param name="filePaths">The file(s) searched (for a missing tensor) or the file that holds it.</param>
    /// <param name="problem">What is wrong, e.g. "shape [4, 8] on disk but the destination expects [4, 16]".</param>
    /// <param name="hint">What the user can do about it.</param>
    public SafetensorsTensorException(string tensorName, IReadOnlyList<string> filePaths, string problem, string hint)
        : base(Format(tensorName, filePaths, problem, hint))
    {
        TensorName = tensorName;
        FilePaths = filePaths;
        Problem = problem;
        Hint = hint;
    }

    /// <summary>The tensor concerned.</summary>
    public string TensorName { get; }

    /// <summary>The file(s) searched, or the one file that holds the tensor.</summary>
    public IReadOnlyList<string> FilePaths { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>What the user can do about it.</summary>
    public string Hint { get; }

    /// <summary>The error for a tensor that none of <paramref name="filePaths"/> holds; lists a few stored names, similar ones first.</summary>
    internal static SafetensorsTensorException Missing(string tensorName, IReadOnlyList<string> filePaths, IReadOnlyCollection<string> storedNames)
    {
        var similar = Similar(tensorName, storedNames);
        var examples = similar.Count > 0
            ? $"similar stored names: {string.Join(", ", similar.Select(n => $"'{n}'"))}"
            : storedNames.Count > 0 ? $"stored names include {string.Join(", ", storedNames.Take(4).Select(n => $"'{n}'"))}" : "no tensor is stored";
        return new SafetensorsTensorException(tensorName, filePaths,
            $"no such tensor among the {storedNames.Count} stored ({examples})",
            "the weights were written for another model configuration or architecture, or with other tensor names (a prefix such as 'model.' or 'base_model.model.' added or missing)");
    }

    /// <summary>Up to three stored names that end with the same last two dot-separated parts as <paramref name="name"/>.</summary>
    private static List<string> Similar(string name, IReadOnlyCollection<string> storedNames)
    {
        var parts = name.Split('.');
        var suffix = "." + string.Join('.', parts.Skip(Math.Max(0, parts.Length - 2)));
        return storedNames.Where(n => ("." + n).EndsWith(suffix, StringComparison.Ordinal)).Take(3).ToList();
    }

    private static string Format(string tensorName, IReadOnlyList<string> filePaths, string problem, string hint)
    {
        var files = filePaths.Count == 1
            ? $"safetensors file '{filePaths[0]}'"
            : $"safetensors files {string.Join(", ", filePaths.Select(p => $"'{p}'"))}";
        return $"{files}, tensor '{tensorName}': {problem}. Hint: {hint}";
    }
}
