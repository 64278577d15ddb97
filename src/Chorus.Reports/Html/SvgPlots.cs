using System.Globalization;
using Chorus.Statistics;
using static Chorus.Reports.Html.HtmlText;

namespace Chorus.Reports.Html;

/// <summary>One series of an ensemble-size curve: mean ± std at k = 1..n.</summary>
/// <param name="Name">Legend label (e.g. the method).</param>
/// <param name="Points">(k, mean, std) in k order.</param>
public sealed record CurveSeries(string Name, IReadOnlyList<(int K, double Mean, double Std)> Points);

/// <summary>One group of a box or violin plot: per-image values of Ens-Avg and Exp-Avg.</summary>
public sealed record BoxGroup(string Name, IReadOnlyList<double> Ens, IReadOnlyList<double> Exp);

/// <summary>One method's mean faithfulness curve (fraction of pixels changed → target score) for Ens-Avg and Exp-Avg.</summary>
public sealed record FaithfulnessSeries(string Name, IReadOnlyList<(double X, double Y)> Ens, IReadOnlyList<(double X, double Y)> Exp);

/// <summary>
/// Plots drawn by hand as <see cref="PlotFigure"/>s (the <c>…Figure</c> methods), rendered to self-contained SVG
/// (no scripts, no external fonts or images) for the page and to PNG by <see cref="PlotRaster"/>.
/// </summary>
public static class SvgPlots
{
    /// <summary>Series colours (Tableau 10).</summary>
    public static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>Colour of Ens-Avg in box and violin plots.</summary>
    public const string EnsColour = "#4e79a7";

    /// <summary>Colour of Exp-Avg in box and violin plots.</summary>
    public const string ExpColour = "#f28e2b";

    private const int Left = 56, Right = 150, Top = 28, Bottom = 42;

    /// <summary>Line chart of metric vs ensemble size (SVG); see <see cref="CurvesFigure"/>.</summary>
    public static string Curves(string title, string yLabel, IReadOnlyList<CurveSeries> series, int width = 520, int height = 300) =>
        CurvesFigure(title, yLabel, series, width, height).ToSvg();

    /// <summary>Split violins of Ens vs Exp per group (SVG); see <see cref="ViolinsFigure"/>.</summary>
    public static string Violins(string title, string yLabel, IReadOnlyList<BoxGroup> groups, int width = 520, int height = 300) =>
        ViolinsFigure(title, yLabel, groups, width, height).ToSvg();

    /// <summary>Line chart of metric vs ensemble size, one line per series, with ±1 std error bars.</summary>
    public static PlotFigure CurvesFigure(string title, string yLabel, IReadOnlyList<CurveSeries> series, int width = 520, int height = 300)
    {
        ArgumentNullException.ThrowIfNull(series);
        var finite = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Mean)).ToList();
        var maxK = Math.Max(2, series.SelectMany(s => s.Points).Select(p => p.K).DefaultIfEmpty(2).Max());
        var lo = finite.Select(p => p.Mean - (double.IsFinite(p.Std) ? p.Std : 0)).DefaultIfEmpty(0).Min();
        var hi = finite.Select(p => p.Mean + (double.IsFinite(p.Std) ? p.Std : 0)).DefaultIfEmpty(1).Max();
        var (y0, y1, yTicks) = NiceRange(lo, hi);
        var pw = width - Left - Right;
        var ph = height - Top - Bottom;
        double X(double k) => Left + ((k - 1) / (maxK - 1) * pw);
        double Y(double v) => Top + ph - ((v - y0) / (y1 - y0) * ph);

        var e = Open(width, height, title);
        Axes(e, pw, ph, yTicks, Y, yLabel);
        foreach (var k in XTicks(maxK))
        {
            e.Add(new PlotLine(X(k), Top + ph, X(k), Top + ph + 4, "#333"));
            e.Add(new PlotText(X(k), Top + ph + 16, k.ToString(CultureInfo.InvariantCulture), "middle"));
        }

        e.Add(new PlotText(Left + (pw / 2.0), height - 6, "ensemble size k", "middle"));
        for (var s = 0; s < series.Count; s++)
        {
            var colour = Palette[s % Palette.Length];
            var pts = series[s].Points.Where(p => double.IsFinite(p.Mean)).ToList();
            foreach (var p in pts.Where(p => double.IsFinite(p.Std) && p.Std > 0))
            {
                e.Add(new PlotLine(X(p.K), Y(p.Mean - p.Std), X(p.K), Y(p.Mean + p.Std), colour, Opacity: 0.5));
            }

            e.Add(new PlotPath([.. pts.Select(p => (X(p.K), Y(p.Mean)))], false, null, 1, colour, 2));
            e.AddRange(pts.Select(p => new PlotCircle(X(p.K), Y(p.Mean), 2.5, colour)));
            Legend(e, width, s, colour, series[s].Name);
        }

        return new PlotFigure(width, height, title, e);
    }

    /// <summary>
    /// Split violins: per group, the kernel density (<see cref="KernelDensity"/>, Gaussian, Silverman bandwidth, drawn
    /// over the data range only, as ggplot2's trim = TRUE, so no violin claims values that were never observed) of Ens-Avg drawn to the left of the group's centre line and of Exp-Avg to the right, both halves on the same
    /// width scale (the larger of the two peak densities fills the half width), with a narrow box (quartiles, median line)
    /// and the mean (diamond) inside each half. A half with fewer than two distinct values is drawn as its box only.
    /// </summary>
    public static PlotFigure ViolinsFigure(string title, string yLabel, IReadOnlyList<BoxGroup> groups, int width = 520, int height = 300)
    {
        ArgumentNullException.ThrowIfNull(groups);
        width = Math.Max(width, Left + Right + (96 * groups.Count));
        var densities = groups.Select(g => (Ens: KernelDensity.Estimate(g.Ens, cut: 0), Exp: KernelDensity.Estimate(g.Exp, cut: 0))).ToList();
        var all = groups.SelectMany(g => g.Ens.Concat(g.Exp)).Where(double.IsFinite)
            .Concat(densities.SelectMany(d => d.Ens.X.Concat(d.Exp.X))).ToList();
        var (y0, y1, yTicks) = NiceRange(all.DefaultIfEmpty(0).Min(), all.DefaultIfEmpty(1).Max());
        var pw = width - Left - Right;
        var ph = height - Top - Bottom;
        double Y(double v) => Top + ph - ((v - y0) / (y1 - y0) * ph);
        var slot = pw / (double)Math.Max(1, groups.Count);

        var e = Open(width, height, title);
        Axes(e, pw, ph, yTicks, Y, yLabel);
        for (var g = 0; g < groups.Count; g++)
        {
            var cx = Left + (slot * (g + 0.5));
            var half = Math.Min(40, slot * 0.42);
            var (ens, exp) = densities[g];
            var peak = ens.Density.Concat(exp.Density).DefaultIfEmpty(0).Max();
            foreach (var (d, side, colour) in new[] { (ens, -1, EnsColour), (exp, 1, ExpColour) })
            {
                var outline = HalfViolin(d.X, d.Density, cx, side, half, peak, Y);
                if (outline.Count > 0)
                {
                    e.Add(new PlotPath(outline, true, colour, 0.35, colour));
                }
            }

            var bw = Math.Max(3, half * 0.18);
            Box(e, groups[g].Ens, cx - (bw / 2) - 1, bw, EnsColour, Y);
            Box(e, groups[g].Exp, cx + (bw / 2) + 1, bw, ExpColour, Y);
            e.Add(new PlotLine(cx, Top, cx, Top + ph, "#999", 0.5));
            e.Add(new PlotText(cx, Top + ph + 14, Short(groups[g].Name), "middle", 9));
        }

        Legend(e, width, 0, EnsColour, "Ens-Avg (left)");
        Legend(e, width, 1, ExpColour, "Exp-Avg (right)");
        return new PlotFigure(width, height, title, e);
    }

    /// <summary>
    /// The closed outline of one violin half: the centre line from the lowest to the highest grid value, then the density
    /// back down at x = cx + side · half · density / peak. Empty when there is no density.
    /// </summary>
    public static IReadOnlyList<(double X, double Y)> HalfViolin(IReadOnlyList<double> grid, IReadOnlyList<double> density, double cx, int side, double half, double peak, Func<double, double> y)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(density);
        ArgumentNullException.ThrowIfNull(y);
        if (grid.Count == 0 || !(peak > 0))
        {
            return [];
        }

        var pts = new List<(double X, double Y)> { (cx, y(grid[0])), (cx, y(grid[^1])) };
        for (var i = grid.Count - 1; i >= 0; i--)
        {
            pts.Add((cx + (side * half * density[i] / peak), y(grid[i])));
        }

        return pts;
    }

    /// <summary>
    /// Mean faithfulness curves: x = fraction of pixels changed, y = target probability; one colour per method,
    /// Ens-Avg solid, Exp-Avg dashed.
    /// </summary>
    public static PlotFigure FaithfulnessFigure(string title, string yLabel, IReadOnlyList<FaithfulnessSeries> series, int width = 520, int height = 300)
    {
        ArgumentNullException.ThrowIfNull(series);
        var ys = series.SelectMany(s => s.Ens.Concat(s.Exp)).Select(p => p.Y).Where(double.IsFinite).ToList();
        var (y0, y1, yTicks) = NiceRange(ys.DefaultIfEmpty(0).Min(), ys.DefaultIfEmpty(1).Max());
        var pw = width - Left - Right;
        var ph = height - Top - Bottom;
        double X(double f) => Left + (f * pw);
        double Y(double v) => Top + ph - ((v - y0) / (y1 - y0) * ph);

        var e = Open(width, height, title);
        Axes(e, pw, ph, yTicks, Y, yLabel);
        foreach (var f in new[] { 0, 0.25, 0.5, 0.75, 1 })
        {
            e.Add(new PlotLine(X(f), Top + ph, X(f), Top + ph + 4, "#333"));
            e.Add(new PlotText(X(f), Top + ph + 16, Number(f), "middle"));
        }

        e.Add(new PlotText(Left + (pw / 2.0), height - 6, "fraction of pixels changed (most relevant first)", "middle"));
        for (var s = 0; s < series.Count; s++)
        {
            var colour = Palette[s % Palette.Length];
            e.Add(new PlotPath([.. series[s].Ens.Where(p => double.IsFinite(p.Y)).Select(p => (X(p.X), Y(p.Y)))], false, null, 1, colour, 2));
            e.Add(new PlotPath([.. series[s].Exp.Where(p => double.IsFinite(p.Y)).Select(p => (X(p.X), Y(p.Y)))], false, null, 1, colour, 1.5, Dashed: true));
            Legend(e, width, s, colour, series[s].Name);
        }

        var row = series.Count + 1;
        e.Add(new PlotLine(width - Right + 12, Top + 4 + (row * 16), width - Right + 26, Top + 4 + (row * 16), "#333", 2));
        e.Add(new PlotText(width - Right + 31, Top + 9 + (row * 16), "Ens-Avg"));
        e.Add(new PlotPath([(width - Right + 12, Top + 4 + ((row + 1) * 16)), (width - Right + 26, Top + 4 + ((row + 1) * 16))], false, null, 1, "#333", 1.5, Dashed: true));
        e.Add(new PlotText(width - Right + 31, Top + 9 + ((row + 1) * 16), "Exp-Avg"));
        return new PlotFigure(width, height, title, e);
    }

    /// <summary>The narrow box inside a half violin: quartiles, white median line, whiskers at 1.5 IQR, mean as a diamond.</summary>
    private static void Box(List<PlotElement> e, IReadOnlyList<double> values, double cx, double bw, string colour, Func<double, double> y)
    {
        var v = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (v.Length == 0)
        {
            return;
        }

        var q1 = KernelDensity.Quantile(v, 0.25);
        var med = KernelDensity.Quantile(v, 0.5);
        var q3 = KernelDensity.Quantile(v, 0.75);
        var iqr = q3 - q1;
        var wLo = v.First(x => x >= q1 - (1.5 * iqr));
        var wHi = v.Last(x => x <= q3 + (1.5 * iqr));
        var l = cx - (bw / 2);
        e.Add(new PlotLine(cx, y(wLo), cx, y(wHi), colour));
        e.Add(new PlotRect(l, y(q3), bw, Math.Max(0.5, y(q1) - y(q3)), colour, 0.8, colour));
        e.Add(new PlotLine(l, y(med), l + bw, y(med), "#fff", 2));
        var mean = v.Average();
        const double r = 2.5;
        e.Add(new PlotPath([(cx, y(mean) - r), (cx + r, y(mean)), (cx, y(mean) + r), (cx - r, y(mean))], true, "#222", 1, null));
    }

    private static List<PlotElement> Open(int width, int height, string title) =>
    [
        new PlotRect(0, 0, width, height, "#fff"),
        new PlotText(Left, 16, title, Size: 12, Bold: true),
    ];

    private static void Axes(List<PlotElement> e, int pw, int ph, IReadOnlyList<double> yTicks, Func<double, double> y, string yLabel)
    {
        foreach (var t in yTicks)
        {
            e.Add(new PlotLine(Left, y(t), Left + pw, y(t), "#e5e5e5"));
            e.Add(new PlotText(Left - 5, y(t) + 4, Number(Math.Round(t, 10)), "end"));
        }

        e.Add(new PlotRect(Left, Top, pw, ph, null, 1, "#333"));
        e.Add(new PlotText(14, Top + (ph / 2.0), yLabel, "middle", Rotate: -90));
    }

    private static void Legend(List<PlotElement> e, int width, int row, string colour, string name)
    {
        var x = width - Right + 12;
        var y = Top + 8 + (row * 16);
        e.Add(new PlotRect(x, y - 8, 12, 10, colour));
        e.Add(new PlotText(x + 17, y + 1, Short(name)));
    }

    private static string Short(string s) => s.Length <= 22 ? s : s[..21] + "…";

    private static IEnumerable<int> XTicks(int maxK)
    {
        var step = Math.Max(1, (int)Math.Ceiling(maxK / 10.0));
        for (var k = 1; k <= maxK; k += step)
        {
            yield return k;
        }
    }

    /// <summary>A padded range with "nice" tick positions (1, 2, 5 × 10^e).</summary>
    private static (double Lo, double Hi, IReadOnlyList<double> Ticks) NiceRange(double lo, double hi)
    {
        if (!double.IsFinite(lo) || !double.IsFinite(hi))
        {
            (lo, hi) = (0, 1);
        }

        if (hi - lo < 1e-12)
        {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }

        var raw = (hi - lo) / 5;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(f => f * mag).First(s => s >= raw);
        var a = Math.Floor(lo / step) * step;
        var b = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (var t = a; t <= b + (step / 2); t += step)
        {
            ticks.Add(t);
        }

        return (a, b, ticks);
    }
}
