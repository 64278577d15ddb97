using SkiaSharp;

namespace Chorus.Reports.Html;

/// <summary>
/// Renders a <see cref="PlotFigure"/> to PNG with SkiaSharp, primitive by primitive as <see cref="PlotFigure.ToSvg"/> does.
/// Text uses the first TrueType sans font found (DejaVu Sans, Liberation Sans, then SkiaSharp's default); the
/// SkiaSharp build without fontconfig cannot look fonts up by family name, so known files are tried.
/// </summary>
public static class PlotRaster
{
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/Library/Fonts/Arial.ttf",
        "C:\\Windows\\Fonts\\arial.ttf",
    ];

    private static readonly string[] BoldFontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        "/Library/Fonts/Arial Bold.ttf",
        "C:\\Windows\\Fonts\\arialbd.ttf",
    ];

    private static readonly Lazy<SKTypeface> Regular = new(() => Load(FontFiles));
    private static readonly Lazy<SKTypeface> Bold = new(() => Load(BoldFontFiles));

    /// <summary>PNG bytes of <paramref name="figure"/> at <paramref name="scale"/> × its pixel size (2 = sharp on high-DPI screens).</summary>
    public static byte[] ToPng(PlotFigure figure, float scale = 2)
    {
        ArgumentNullException.ThrowIfNull(figure);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(scale, 0);
        using var bitmap = new SKBitmap((int)Math.Ceiling(figure.Width * scale), (int)Math.Ceiling(figure.Height * scale), SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            canvas.Scale(scale);
            foreach (var e in figure.Elements)
            {
                Draw(canvas, e);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static void Draw(SKCanvas canvas, PlotElement e)
    {
        switch (e)
        {
            case PlotLine l:
                using (var paint = Stroke(l.Stroke, l.Width, l.Opacity))
                {
                    canvas.DrawLine((float)l.X1, (float)l.Y1, (float)l.X2, (float)l.Y2, paint);
                }

                break;
            case PlotRect r:
                var rect = SKRect.Create((float)r.X, (float)r.Y, (float)r.W, (float)r.H);
                if (r.Fill is not null)
                {
                    using var fill = Fill(r.Fill, r.FillOpacity);
                    canvas.DrawRect(rect, fill);
                }

                if (r.Stroke is not null)
                {
                    using var stroke = Stroke(r.Stroke, 1, 1);
                    canvas.DrawRect(rect, stroke);
                }

                break;
            case PlotCircle c:
                if (c.Fill is not null)
                {
                    using var fill = Fill(c.Fill, 1);
                    canvas.DrawCircle((float)c.Cx, (float)c.Cy, (float)c.R, fill);
                }

                if (c.Stroke is not null)
                {
                    using var stroke = Stroke(c.Stroke, 1, 1);
                    canvas.DrawCircle((float)c.Cx, (float)c.Cy, (float)c.R, stroke);
                }

                break;
            case PlotPath p when p.Points.Count > 0:
                using (var builder = new SKPathBuilder())
                {
                    builder.AddPoly([.. p.Points.Select(q => new SKPoint((float)q.X, (float)q.Y))], p.Closed);
                    using var path = builder.Detach();
                    if (p.Fill is not null)
                    {
                        using var fill = Fill(p.Fill, p.FillOpacity);
                        canvas.DrawPath(path, fill);
                    }

                    if (p.Stroke is not null)
                    {
                        using var stroke = Stroke(p.Stroke, p.Width, 1);
                        using var dash = p.Dashed ? SKPathEffect.CreateDash([5f, 3f], 0) : null;
                        stroke.PathEffect = dash;
                        canvas.DrawPath(path, stroke);
                    }
                }

                break;
            case PlotText t:
                DrawText(canvas, t);
                break;
            default:
                break;
        }
    }

    private static void DrawText(SKCanvas canvas, PlotText t)
    {
        using var font = new SKFont(t.Bold ? Bold.Value : Regular.Value, (float)t.Size) { Subpixel = true, Edging = SKFontEdging.Antialias };
        using var paint = new SKPaint { Color = new SKColor(0x22, 0x22, 0x22), IsAntialias = true };
        var align = t.Anchor switch
        {
            "middle" => SKTextAlign.Center,
            "end" => SKTextAlign.Right,
            _ => SKTextAlign.Left,
        };
        canvas.Save();
        if (t.Rotate != 0)
        {
            canvas.RotateDegrees((float)t.Rotate, (float)t.X, (float)t.Y);
        }

        canvas.DrawText(t.Text, (float)t.X, (float)t.Y, align, font, paint);
        canvas.Restore();
    }

    private static SKPaint Stroke(string colour, double width, double opacity) => new()
    {
        Color = Colour(colour, opacity),
        Style = SKPaintStyle.Stroke,
        StrokeWidth = (float)width,
        IsAntialias = true,
    };

    private static SKPaint Fill(string colour, double opacity) => new()
    {
        Color = Colour(colour, opacity),
        Style = SKPaintStyle.Fill,
        IsAntialias = true,
    };

    private static SKColor Colour(string colour, double opacity)
    {
        var c = SKColor.TryParse(colour, out var parsed) ? parsed : SKColors.Black;
        return c.WithAlpha((byte)Math.Clamp(Math.Round(c.Alpha * opacity), 0, 255));
    }

    private static SKTypeface Load(string[] files)
    {
        foreach (var f in files)
        {
            if (File.Exists(f) && SKTypeface.FromFile(f) is { } face)
            {
                return face;
            }
        }

        return SKTypeface.Default;
    }
}
