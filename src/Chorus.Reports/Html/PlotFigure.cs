using System.Globalization;
using System.Text;
using static Chorus.Reports.Html.HtmlText;

namespace Chorus.Reports.Html;

/// <summary>One drawing primitive of a <see cref="PlotFigure"/>, in pixel coordinates (origin top left).</summary>
public abstract record PlotElement;

/// <summary>A straight line.</summary>
public sealed record PlotLine(double X1, double Y1, double X2, double Y2, string Stroke, double Width = 1, double Opacity = 1) : PlotElement;

/// <summary>A rectangle; null fill or stroke is not drawn.</summary>
public sealed record PlotRect(double X, double Y, double W, double H, string? Fill, double FillOpacity = 1, string? Stroke = null) : PlotElement;

/// <summary>A circle; null fill or stroke is not drawn.</summary>
public sealed record PlotCircle(double Cx, double Cy, double R, string? Fill, string? Stroke = null) : PlotElement;

/// <summary>A polyline (open) or polygon (closed); null fill or stroke is not drawn.</summary>
public sealed record PlotPath(IReadOnlyList<(double X, double Y)> Points, bool Closed, string? Fill, double FillOpacity, string? Stroke, double Width = 1, bool Dashed = false) : PlotElement;

/// <summary>Text at a baseline point; <paramref name="Anchor"/> is start, middle or end; <paramref name="Rotate"/> in degrees about the point.</summary>
public sealed record PlotText(double X, double Y, string Text, string Anchor = "start", double Size = 11, bool Bold = false, double Rotate = 0) : PlotElement;

/// <summary>
/// A plot as a list of primitives, rendered the same way as SVG (<see cref="ToSvg"/>, for the HTML page) and as PNG
/// (<see cref="PlotRaster.ToPng"/>), so both files show the same data with the same look.
/// </summary>
public sealed record PlotFigure(int Width, int Height, string Title, IReadOnlyList<PlotElement> Elements)
{
    /// <summary>Self-contained SVG (no scripts, fonts or external references); every text is escaped.</summary>
    public string ToSvg()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">");
        sb.Append("<title>").Append(Escape(Title)).Append("</title>");
        foreach (var e in Elements)
        {
            switch (e)
            {
                case PlotLine l:
                    sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Coord(l.X1)}\" y1=\"{Coord(l.Y1)}\" x2=\"{Coord(l.X2)}\" y2=\"{Coord(l.Y2)}\" stroke=\"{l.Stroke}\"");
                    sb.Append(l.Width != 1 ? $" stroke-width=\"{Coord(l.Width)}\"" : "").Append(l.Opacity < 1 ? $" stroke-opacity=\"{Coord(l.Opacity)}\"" : "").Append("/>");
                    break;
                case PlotRect r:
                    sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Coord(r.X)}\" y=\"{Coord(r.Y)}\" width=\"{Coord(r.W)}\" height=\"{Coord(r.H)}\" fill=\"{r.Fill ?? "none"}\"");
                    sb.Append(r.Fill is not null && r.FillOpacity < 1 ? $" fill-opacity=\"{Coord(r.FillOpacity)}\"" : "").Append(r.Stroke is null ? "" : $" stroke=\"{r.Stroke}\"").Append("/>");
                    break;
                case PlotCircle c:
                    sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Coord(c.Cx)}\" cy=\"{Coord(c.Cy)}\" r=\"{Coord(c.R)}\" fill=\"{c.Fill ?? "none"}\"").Append(c.Stroke is null ? "" : $" stroke=\"{c.Stroke}\"").Append("/>");
                    break;
                case PlotPath p:
                    sb.Append(p.Closed ? "<polygon" : "<polyline").Append(" fill=\"").Append(p.Fill ?? "none").Append('"');
                    sb.Append(p.Fill is not null && p.FillOpacity < 1 ? $" fill-opacity=\"{Coord(p.FillOpacity)}\"" : "");
                    sb.Append(p.Stroke is null ? "" : $" stroke=\"{p.Stroke}\"").Append(p.Width != 1 ? $" stroke-width=\"{Coord(p.Width)}\"" : "").Append(p.Dashed ? " stroke-dasharray=\"5,3\"" : "");
                    sb.Append(" points=\"").AppendJoin(' ', p.Points.Select(q => Coord(q.X) + "," + Coord(q.Y))).Append("\"/>");
                    break;
                case PlotText t:
                    sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Coord(t.X)}\" y=\"{Coord(t.Y)}\"");
                    sb.Append(t.Anchor != "start" ? $" text-anchor=\"{t.Anchor}\"" : "").Append(t.Size != 11 ? $" font-size=\"{Coord(t.Size)}\"" : "").Append(t.Bold ? " font-weight=\"bold\"" : "");
                    sb.Append(t.Rotate != 0 ? $" transform=\"rotate({Coord(t.Rotate)} {Coord(t.X)} {Coord(t.Y)})\"" : "").Append('>').Append(Escape(t.Text)).Append("</text>");
                    break;
                default:
                    throw new InvalidOperationException($"Unknown plot element {e.GetType().Name}.");
            }
        }

        return sb.Append("</svg>").ToString();
    }
}
