// The optional id of a scored group: generation_params.group_id (set by maskedsft's synthetic environment).
namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>Reads a group's id. Atropos has no id field; environments that want their groups counted (the synthetic one
/// does) put a string under <c>generation_params.group_id</c>.</summary>
public static class AtroposGroupIds
{
    /// <summary>The key under generation_params.</summary>
    public const string Key = "group_id";

    /// <summary>The group's id, or null when it carries none.</summary>
    /// <param name="group">The group.</param>
    /// <returns>The id or null.</returns>
    public static string? Of(AtroposScoredData group) =>
        group?.GenerationParams is { } p && p.TryGetPropertyValue(Key, out var id) && id is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
