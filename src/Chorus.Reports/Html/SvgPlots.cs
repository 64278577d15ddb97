using System.Globalization;
using System.Text;
using static Chorus.Reports.Html.HtmlText;

namespace Chorus.Reports.Html;

/// <summary>One series of an ensemble-size curve: mean ± std at k = 1..n.</summary>
/// <param name="Name">Legend label (e.g. the method).</param>
/// <param name="Points">(k, mean, std) in k order.</param>
public sealed record CurveSeries(string Name, IReadOnlyList<(int K, double Mean, double Std)> Points);

/// <summary>One group of a box plot: per-image values of Ens-Avg and Exp-Avg.</summary>
public sealed record BoxGroup(string Name, IReadOnlyList<double> Ens, IReadOnlyList<double> Exp);

/// <summary>Self-contained SVG plots drawn by hand (no scripts, no external fonts or images).</summary>
public static class SvgPlots
{
    /// <summary>Series colours (Tableau 10).</summary>
    public static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private const string EnsColour = "#4e79a7";
    private const string ExpColour = "#f28e2b";
    private const int Left = 56, Right = 150, Top = 28, Bottom = 42;

    /// <summary>Line chart of metric vs ensemble size, one line per series, with ±1 std error bars.</summary>
    public static string Curves(string title, string yLabel, IReadOnlyList<CurveSeries> series, int width = 520, int height = 300)
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

        var sb = Open(width, height, title);
        Axes(sb, pw, ph, yTicks, Y, yLabel);
        foreach (var k in XTicks(maxK))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Coord(X(k))}\" y1=\"{Top + ph}\" x2=\"{Coord(X(k))}\" y2=\"{Top + ph + 4}\" stroke=\"#333\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Coord(X(k))}\" y=\"{Top + ph + 16}\" text-anchor=\"middle\">{k}</text>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Coord(Left + (pw / 2.0))}\" y=\"{height - 6}\" text-anchor=\"middle\">ensemble size k</text>");
        for (var s = 0; s < series.Count; s++)
        {
            var colour = Palette[s % Palette.Length];
            var pts = series[s].Points.Where(p => double.IsFinite(p.Mean)).ToList();
            foreach (var p in pts.Where(p => double.IsFinite(p.Std) && p.Std > 0))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Coord(X(p.K))}\" y1=\"{Coord(Y(p.Mean - p.Std))}\" x2=\"{Coord(X(p.K))}\" y2=\"{Coord(Y(p.Mean + p.Std))}\" stroke=\"{colour}\" stroke-opacity=\"0.5\"/>");
            }

            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(" ", pts.Select(p => Coord(X(p.K)) + "," + Coord(Y(p.Mean))))}\"/>");
            foreach (var p in pts)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Coord(X(p.K))}\" cy=\"{Coord(Y(p.Mean))}\" r=\"2.5\" fill=\"{colour}\"/>");
            }

            Legend(sb, width, s, colour, series[s].Name);
        }

        return sb.Append("</svg>").ToString();
    }

    /// <summary>Box plots (quartiles, median, whiskers at 1.5 IQR, mean as a diamond) of Ens vs Exp per group.</summary>
    public static string Boxes(string title, string yLabel, IReadOnlyList<BoxGroup> groups, int width = 520, int height = 300)
    {
        ArgumentNullException.ThrowIfNull(groups);
        width = Math.Max(width, Left + Right + (96 * groups.Count));
        var all = groups.SelectMany(g => g.Ens.Concat(g.Exp)).Where(double.IsFinite).ToList();
        var (y0, y1, yTicks) = NiceRange(all.DefaultIfEmpty(0).Min(), all.DefaultIfEmpty(1).Max());
        var pw = width - Left - Right;
        var ph = height - Top - Bottom;
        double Y(double v) => Top + ph - ((v - y0) / (y1 - y0) * ph);
        var slot = pw / (double)Math.Max(1, groups.Count);

        var sb = Open(width, height, title);
        Axes(sb, pw, ph, yTicks, Y, yLabel);
        for (var g = 0; g < groups.Count; g++)
        {
            var cx = Left + (slot * (g + 0.5));
            var bw = Math.Min(22, slot * 0.3);
            Box(sb, groups[g].Ens, cx - (bw * 0.6), bw, EnsColour, Y);
            Box(sb, groups[g].Exp, cx + (bw * 0.6), bw, ExpColour, Y);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Coord(cx)}\" y=\"{Top + ph + 14}\" text-anchor=\"middle\" font-size=\"9\">{Escape(Short(groups[g].Name))}</text>");
        }

        Legend(sb, width, 0, EnsColour, "Ens-Avg");
        Legend(sb, width, 1, ExpColour, "Exp-Avg");
        return sb.Append("</svg>").ToString();
    }

    private static void Box(StringBuilder sb, IReadOnlyList<double> values, double cx, double bw, string colour, Func<double, double> y)
    {
        var v = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (v.Length == 0)
        {
            return;
        }

        var q1 = Quantile(v, 0.25);
        var med = Quantile(v, 0.5);
        var q3 = Quantile(v, 0.75);
        var iqr = q3 - q1;
        var wLo = v.First(x => x >= q1 - (1.5 * iqr));
        var wHi = v.Last(x => x <= q3 + (1.5 * iqr));
        var l = cx - (bw / 2);
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Coord(cx)}\" y1=\"{Coord(y(wLo))}\" x2=\"{Coord(cx)}\" y2=\"{Coord(y(wHi))}\" stroke=\"{colour}\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Coord(l)}\" y=\"{Coord(y(q3))}\" width=\"{Coord(bw)}\" height=\"{Coord(Math.Max(0.5, y(q1) - y(q3)))}\" fill=\"{colour}\" fill-opacity=\"0.35\" stroke=\"{colour}\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Coord(l)}\" y1=\"{Coord(y(med))}\" x2=\"{Coord(l + bw)}\" y2=\"{Coord(y(med))}\" stroke=\"{colour}\" stroke-width=\"2\"/>");
        foreach (var o in v.Where(x => x < wLo || x > wHi))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Coord(cx)}\" cy=\"{Coord(y(o))}\" r=\"1.8\" fill=\"none\" stroke=\"{colour}\"/>");
        }

        var mean = v.Average();
        sb.Append(CultureInfo.InvariantCulture, $"<path d=\"M{Coord(cx)},{Coord(y(mean) - 3.5)} l3.5,3.5 l-3.5,3.5 l-3.5,-3.5 z\" fill=\"#222\"/>");
    }

    private static double Quantile(double[] sorted, double q)
    {
        var pos = (sorted.Length - 1) * q;
        var i = (int)Math.Floor(pos);
        return i + 1 < sorted.Length ? sorted[i] + ((pos - i) * (sorted[i + 1] - sorted[i])) : sorted[i];
    }

    private static StringBuilder Open(int width, int height, string title)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{Escape(title)}</title><rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"16\" font-size=\"12\" font-weight=\"bold\">{Escape(title)}</text>");
        return sb;
    }

    private static void Axes(StringBuilder sb, int pw, int ph, IReadOnlyList<double> yTicks, Func<double, double> y, string yLabel)
    {
        foreach (var t in yTicks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Coord(y(t))}\" x2=\"{Left + pw}\" y2=\"{Coord(y(t))}\" stroke=\"#e5e5e5\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 5}\" y=\"{Coord(y(t) + 4)}\" text-anchor=\"end\">{Number(Math.Round(t, 10))}</text>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#333\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(14,{Coord(Top + (ph / 2.0))}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>");
    }

    private static void Legend(StringBuilder sb, int width, int row, string colour, string name)
    {
        var x = width - Right + 12;
        var y = Top + 8 + (row * 16);
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y - 8}\" width=\"12\" height=\"10\" fill=\"{colour}\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 17}\" y=\"{y + 1}\">{Escape(Short(name))}</text>");
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
