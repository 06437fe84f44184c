// One series of a line chart: an id for its CSS class, a legend name, a colour, the points, line or markers.
namespace MaskedSft.MLNet.Reporting;

/// <summary>A series of <see cref="SvgLineChart"/>.</summary>
/// <param name="Id">A short identifier; the SVG element gets the class <c>series-{Id}</c>.</param>
/// <param name="Name">The legend text.</param>
/// <param name="Color">A CSS colour.</param>
/// <param name="Points">The (x, y) points in x order; a non-finite one breaks the line.</param>
/// <param name="Markers">Draw circles instead of a line (e.g. for sparse validation points).</param>
public sealed record ChartSeries(string Id, string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Markers = false);
