// A line chart as inline SVG: axes with ticks, one path per series (NaN points break the line), optional markers, legend.
using System.Globalization;
using System.Text;

namespace MaskedSft.MLNet.Reporting;

/// <summary>
/// Draws line charts as self-contained SVG (no script, no external font or stylesheet) for the HTML report: linear x and
/// y axes with rounded ticks, one <c>&lt;path class="series series-{id}"&gt;</c> per series (a non-finite point breaks the
/// line), circles for a series drawn as markers, and a legend. Titles and names are HTML-escaped.
/// </summary>
public static class SvgLineChart
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The SVG element.</summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="series">The series to draw.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="xLabel">The x axis label.</param>
    /// <returns>The <c>&lt;svg&gt;</c> markup; a chart with a "no data" note when no series has a finite point.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="title"/> or <paramref name="series"/> is null.</exception>
    public static string Render(string title, IReadOnlyList<ChartSeries> series, int width = 640, int height = 280, string xLabel = "step")
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(series);
        const double left = 64, right = 16, top = 30, bottom = 40;
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var svg = new StringBuilder();
        svg.Append(Inv, $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Html.Escape(title)}\">");
        svg.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>");
        svg.Append(Inv, $"<text x=\"{left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{Html.Escape(title)}</text>");
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (points.Count == 0)
        {
            svg.Append(Inv, $"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\" fill=\"#888\">no data</text></svg>");
            return svg.ToString();
        }

        var (x0, x1) = Range(points.Min(p => p.X), points.Max(p => p.X));
        var (y0, y1) = Range(points.Min(p => p.Y), points.Max(p => p.Y));
        double X(double x) => left + ((x - x0) / (x1 - x0) * plotW);
        double Y(double y) => top + plotH - ((y - y0) / (y1 - y0) * plotH);

        svg.Append(Inv, $"<g class=\"axes\" stroke=\"#999\" stroke-width=\"1\"><line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\"/></g>");
        svg.Append("<g class=\"ticks\" font-size=\"11\" fill=\"#555\">");
        foreach (var t in Ticks(y0, y1, 5))
        {
            svg.Append(Inv, $"<line x1=\"{left}\" y1=\"{Y(t):F1}\" x2=\"{left + plotW}\" y2=\"{Y(t):F1}\" stroke=\"#eee\"/>");
            svg.Append(Inv, $"<text x=\"{left - 6}\" y=\"{Y(t) + 4:F1}\" text-anchor=\"end\">{Format(t)}</text>");
        }

        foreach (var t in Ticks(x0, x1, 6))
        {
            svg.Append(Inv, $"<text x=\"{X(t):F1}\" y=\"{top + plotH + 16}\" text-anchor=\"middle\">{Format(t)}</text>");
        }

        svg.Append(Inv, $"<text x=\"{left + (plotW / 2)}\" y=\"{height - 6}\" text-anchor=\"middle\">{Html.Escape(xLabel)}</text></g>");

        var legendX = left + plotW;
        for (var i = series.Count - 1; i >= 0; i--)
        {
            var s = series[i];
            var d = new StringBuilder();
            var pen = 'M';
            foreach (var p in s.Points)
            {
                if (!double.IsFinite(p.X) || !double.IsFinite(p.Y))
                {
                    pen = 'M';
                    continue;
                }

                d.Append(Inv, $"{pen}{X(p.X):F1},{Y(p.Y):F1} ");
                pen = 'L';
            }

            var cls = "series series-" + Html.Escape(s.Id);
            if (s.Markers)
            {
                svg.Append(Inv, $"<g class=\"{cls}\" fill=\"{Html.Escape(s.Color)}\">");
                foreach (var p in s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)))
                    svg.Append(Inv, $"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"3.5\"/>");
                svg.Append("</g>");
            }
            else
            {
                svg.Append(Inv, $"<path class=\"{cls}\" d=\"{d.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{Html.Escape(s.Color)}\" stroke-width=\"2\"/>");
            }

            var label = Html.Escape(s.Name);
            legendX -= 14 + (7 * s.Name.Length);
            svg.Append(Inv, $"<g class=\"legend\" font-size=\"12\"><rect x=\"{legendX:F0}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{Html.Escape(s.Color)}\"/><text x=\"{legendX + 13:F0}\" y=\"17\" fill=\"#333\">{label}</text></g>");
            legendX -= 10;
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Rounded tick values covering [min, max] (about <paramref name="count"/> of them: steps of 1, 2 or 5 × 10^k).</summary>
    /// <param name="min">The low end.</param>
    /// <param name="max">The high end (greater than <paramref name="min"/>).</param>
    /// <param name="count">About how many ticks.</param>
    /// <returns>The tick values within the range.</returns>
    public static IReadOnlyList<double> Ticks(double min, double max, int count)
    {
        var raw = (max - min) / Math.Max(1, count);
        if (!(raw > 0) || !double.IsFinite(raw)) return [min];
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => s >= raw);
        // By index, never by accumulation: with a span far below the values' magnitude, t + step == t would never end.
        var first = Math.Ceiling(min / step);
        var last = Math.Floor((max / step) + 1e-9);
        // Beyond 2^52 steps from zero, consecutive multiples of the step are no longer distinct doubles (k + 1 == k).
        const double exactIntegers = 4503599627370496.0;
        if (!(last - first <= 4L * Math.Max(1, count)) || Math.Abs(first) >= exactIntegers || Math.Abs(last) >= exactIntegers) return [min, max];
        var ticks = new List<double>();
        var n = (long)(last - first);
        for (var i = 0L; i <= n; i++)
        {
            var k = first + i;
            ticks.Add(Math.Abs(k) < 1e-9 ? 0 : k * step);
        }

        return ticks;
    }

    private static (double Low, double High) Range(double min, double max)
    {
        if (max - min > 1e-9 * Math.Max(Math.Abs(min), Math.Abs(max))) return (min, max); // flat up to rounding noise: padded below
        var pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
        return (min - pad, max + pad);
    }

    private static string Format(double v)
    {
        var a = Math.Abs(v);
        return a != 0 && (a < 1e-3 || a >= 1e5) ? v.ToString("0.0e+0", Inv) : v.ToString("0.####", Inv);
    }
}
