// HTML escaping for text and attribute values taken from data (decoded tokens, keys, paths, option values).
using System.Net;

namespace MaskedSft.MLNet.Reporting;

/// <summary>HTML helpers of the report writers.</summary>
public static class Html
{
    /// <summary>Escapes <c>&amp; &lt; &gt; " '</c> so that <paramref name="text"/> is inert inside an element or a quoted
    /// attribute.</summary>
    /// <param name="text">Any text (null gives an empty string).</param>
    /// <returns>The escaped text.</returns>
    public static string Escape(string? text) => text is null ? string.Empty : WebUtility.HtmlEncode(text);
}
