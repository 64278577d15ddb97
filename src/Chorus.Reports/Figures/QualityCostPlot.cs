using System.Globalization;
using System.Text;
using Chorus.IO;

namespace Chorus.Reports.Figures;

/// <summary>One point of a quality-vs-cost panel.</summary>
/// <param name="Label">e.g. <c>ensemble/median</c>.</param>
/// <param name="Cost">Seconds (training + explanation); drawn on a log scale.</param>
/// <param name="Quality">The metric, oriented so that higher is better.</param>
public sealed record QualityCostPoint(string Label, double Cost, double Quality);

/// <summary>A panel of points.</summary>
/// <param name="Title">e.g. <c>pearson · beak</c>.</param>
/// <param name="Points">Its points.</param>
public sealed record QualityCostPanel(string Title, IReadOnlyList<QualityCostPoint> Points);

/// <summary>
/// Quality against cost, one panel per metric and part, drawn by hand as SVG: every point labelled, the Pareto front
/// (no other point both cheaper and better) joined and drawn in red. Points that cost nothing (a fixed prior) have no
/// place on the log axis and are left out.
/// </summary>
public static class QualityCostPlot
{
    private const int PanelWidth = 520, PanelHeight = 320, Left = 72, Right = 120, Top = 34, Bottom = 44;

    /// <summary>The points on the Pareto front (cheapest first): no other point costs no more and scores better, or costs less and scores as well.</summary>
    public static IReadOnlyList<QualityCostPoint> ParetoFront(IReadOnlyList<QualityCostPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var finite = points.Where(p => double.IsFinite(p.Cost) && double.IsFinite(p.Quality)).ToList();
        return [.. finite.Where(p => !finite.Any(q => (q.Cost <= p.Cost && q.Quality > p.Quality) || (q.Cost < p.Cost && q.Quality >= p.Quality)))
            .OrderBy(p => p.Cost)];
    }

    /// <summary>The SVG text; panels in rows of two.</summary>
    public static string Svg(IReadOnlyList<QualityCostPanel> panels, string yLabel = "quality (higher is better)")
    {
        ArgumentNullException.ThrowIfNull(panels);
        const int columns = 2;
        var rows = Math.Max(1, (panels.Count + columns - 1) / columns);
        var width = columns * PanelWidth;
        var height = rows * PanelHeight;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"10\">\n");
        s.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        for (var k = 0; k < panels.Count; k++)
        {
            Panel(s, panels[k], (k % columns) * PanelWidth, (k / columns) * PanelHeight, yLabel);
        }

        s.Append("</svg>\n");
        return s.ToString();
    }

    /// <summary>Writes <see cref="Svg"/> atomically.</summary>
    public static void Save(string path, IReadOnlyList<QualityCostPanel> panels, string yLabel = "quality (higher is better)") =>
        AtomicFile.WriteAllText(path, Svg(panels, yLabel));

    private static void Panel(StringBuilder s, QualityCostPanel panel, int ox, int oy, string yLabel)
    {
        var points = panel.Points.Where(p => double.IsFinite(p.Cost) && double.IsFinite(p.Quality) && p.Cost > 0).ToList();
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{ox + (PanelWidth / 2)}\" y=\"{oy + 18}\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\">{Escape(panel.Title)}</text>\n");
        var (x0, y0, w, h) = (ox + Left, oy + Top, PanelWidth - Left - Right, PanelHeight - Top - Bottom);
        s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0}\" y=\"{y0}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999\"/>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + (w / 2)}\" y=\"{oy + PanelHeight - 8}\" text-anchor=\"middle\">seconds to train + explain (log)</text>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{ox + 12}\" y=\"{y0 + (h / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 {ox + 12} {y0 + (h / 2)})\">{Escape(yLabel)}</text>\n");
        if (points.Count == 0)
        {
            return;
        }

        var (lx0, lx1) = (Math.Log10(points.Min(p => p.Cost)), Math.Log10(points.Max(p => p.Cost)));
        if (lx1 - lx0 < 1e-9)
        {
            (lx0, lx1) = (lx0 - 0.5, lx1 + 0.5);
        }

        var (q0, q1) = (points.Min(p => p.Quality), points.Max(p => p.Quality));
        if (q1 - q0 < 1e-12)
        {
            (q0, q1) = (q0 - 1, q1 + 1);
        }

        var padX = 0.06 * (lx1 - lx0);
        var padY = 0.08 * (q1 - q0);
        (lx0, lx1, q0, q1) = (lx0 - padX, lx1 + padX, q0 - padY, q1 + padY);
        double X(double cost) => x0 + ((Math.Log10(cost) - lx0) / (lx1 - lx0) * w);
        double Y(double quality) => y0 + h - ((quality - q0) / (q1 - q0) * h);
        foreach (var t in new[] { q0 + padY, (q0 + q1) / 2, q1 - padY })
        {
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 4}\" y=\"{Y(t) + 3:F1}\" text-anchor=\"end\">{t:G3}</text>\n");
        }

        for (var e = (int)Math.Ceiling(lx0); e <= Math.Floor(lx1); e++)
        {
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(Math.Pow(10, e)):F1}\" y1=\"{y0 + h}\" x2=\"{X(Math.Pow(10, e)):F1}\" y2=\"{y0 + h + 4}\" stroke=\"#999\"/><text x=\"{X(Math.Pow(10, e)):F1}\" y=\"{y0 + h + 15}\" text-anchor=\"middle\">{Math.Pow(10, e):G3}</text>\n");
        }

        var front = ParetoFront(points);
        if (front.Count > 1)
        {
            s.Append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"");
            s.AppendJoin(' ', front.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Cost):F1},{Y(p.Quality):F1}")));
            s.Append("\"/>\n");
        }

        foreach (var p in points)
        {
            var onFront = front.Contains(p);
            s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(p.Cost):F1}\" cy=\"{Y(p.Quality):F1}\" r=\"{(onFront ? 4 : 3)}\" fill=\"{(onFront ? "#d62728" : "#1f77b4")}\"><title>{Escape(p.Label)}</title></circle>\n");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(p.Cost) + 5:F1}\" y=\"{Y(p.Quality) - 4:F1}\" fill=\"{(onFront ? "#d62728" : "#444")}\" font-size=\"8\">{Escape(p.Label)}</text>\n");
        }
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
