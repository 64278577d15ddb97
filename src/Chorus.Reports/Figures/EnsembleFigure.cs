using Chorus.Explanations;
using Chorus.IO;
using Chorus.Metrics;
using SkiaSharp;

namespace Chorus.Reports.Figures;

/// <summary>
/// The study's qualitative figure for one image and one method: the image with the region of interest outlined,
/// each member's map, and the ensemble's map with its centre of mass (red arrowhead) and every member's centre of
/// mass (black arrows pointing at it). Maps show relevance clipped at 0, each scaled by its own maximum, in the
/// inferno colour map blended over the grey image.
/// </summary>
public static class EnsembleFigure
{
    private const int Gap = 6;

    /// <summary>Renders the figure as PNG bytes.</summary>
    /// <param name="rgb">The image, interleaved RGB bytes, <paramref name="width"/>×<paramref name="height"/>.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="roi">The region of interest (0/1 map of the same size), or null.</param>
    /// <param name="members">Each member's map.</param>
    /// <param name="ensemble">The averaged map.</param>
    /// <param name="scale">Upscaling factor of each panel (nearest neighbour).</param>
    /// <param name="columns">Panels per row.</param>
    /// <param name="disagreement">
    /// Optional per-pixel disagreement of the members (e.g. σ / |mean|), drawn as a last panel on a fixed scale from 0 to
    /// <see cref="DisagreementCap"/> (above it: the top colour), so that figures compare.
    /// </param>
    public static byte[] RenderPng(byte[] rgb, int width, int height, SaliencyMap? roi, IReadOnlyList<SaliencyMap> members, SaliencyMap ensemble, int scale = 3, int columns = 7, SaliencyMap? disagreement = null)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(members);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"A {width}×{height} RGB image needs {width * height * 3} bytes, got {rgb.Length}.", nameof(rgb));
        }

        foreach (var m in members.Append(ensemble).Concat(roi is null ? [] : [roi]).Concat(disagreement is null ? [] : [disagreement]))
        {
            if (m.Width != width || m.Height != height)
            {
                throw new ArgumentException($"Map of {m.Width}×{m.Height} does not match the {width}×{height} image.", nameof(members));
            }
        }

        var mapPanels = members.Count + 2;
        var panels = mapPanels + (disagreement is null ? 0 : 1);
        var cols = Math.Min(columns, panels);
        var rows = (panels + cols - 1) / cols;
        var pw = width * scale;
        var ph = height * scale;
        using var bitmap = new SKBitmap((cols * pw) + ((cols + 1) * Gap), (rows * ph) + ((rows + 1) * Gap), SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        var memberCentres = members.Select(m => CentreOfMass.Of(m)).ToList();
        for (var p = 0; p < panels; p++)
        {
            var ox = Gap + (p % cols * (pw + Gap));
            var oy = Gap + (p / cols * (ph + Gap));
            if (p == mapPanels)
            {
                using var uncertainty = Panel(rgb, width, height, disagreement, scale, DisagreementCap);
                canvas.DrawBitmap(uncertainty, ox, oy, new SKSamplingOptions(SKFilterMode.Nearest), null);
                continue;
            }

            SaliencyMap? map = p == 0 ? null : p <= members.Count ? members[p - 1] : ensemble;
            using (var panel = Panel(rgb, width, height, map, scale))
            {
                canvas.DrawBitmap(panel, ox, oy, new SKSamplingOptions(SKFilterMode.Nearest), null);
            }

            if (roi is not null && (p == 0 || p == mapPanels - 1))
            {
                Outline(canvas, roi, ox, oy, scale);
            }

            if (p == mapPanels - 1)
            {
                var centre = CentreOfMass.Of(ensemble);
                if (centre.IsDefined)
                {
                    var target = ToCanvas(centre, ox, oy, scale);
                    foreach (var c in memberCentres.Where(c => c.IsDefined))
                    {
                        Arrow(canvas, ToCanvas(c, ox, oy, scale), target, SKColors.Black, 1.5f, 5f);
                    }

                    Arrowhead(canvas, target, SKColors.Red, 9f);
                }
            }
            else if (p > 0 && memberCentres[p - 1].IsDefined)
            {
                Dot(canvas, ToCanvas(memberCentres[p - 1], ox, oy, scale), SKColors.Black);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Renders and writes the figure atomically.</summary>
    public static void Save(string path, byte[] rgb, int width, int height, SaliencyMap? roi, IReadOnlyList<SaliencyMap> members, SaliencyMap ensemble, int scale = 3) =>
        AtomicFile.WriteAllBytes(path, RenderPng(rgb, width, height, roi, members, ensemble, scale));

    private static SKPoint ToCanvas(PixelPoint p, int ox, int oy, int scale) =>
        new(ox + (float)((p.X + 0.5) * scale), oy + (float)((p.Y + 0.5) * scale));

    /// <summary>The top of the disagreement panel's colour scale (σ / |mean| of 2: the members' spread is twice their mean).</summary>
    public const float DisagreementCap = 2f;

    private static SKBitmap Panel(byte[] rgb, int width, int height, SaliencyMap? map, int scale, float? fixedMax = null)
    {
        var max = fixedMax ?? (map is null ? 0f : Math.Max(map.Values.Max(), 0f));
        var bmp = new SKBitmap(width * scale, height * scale, SKColorType.Rgba8888, SKAlphaType.Premul);
        var pixels = new byte[width * scale * height * scale * 4];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                byte r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
                if (map is not null)
                {
                    var grey = (0.299 * r) + (0.587 * g) + (0.114 * b);
                    var v = max > 0 ? Math.Min(Math.Max(map[y, x], 0f) / max, 1f) : 0;
                    var (cr, cg, cb) = Colormap.Inferno(v);
                    r = (byte)Math.Round((0.3 * grey) + (0.7 * cr));
                    g = (byte)Math.Round((0.3 * grey) + (0.7 * cg));
                    b = (byte)Math.Round((0.3 * grey) + (0.7 * cb));
                }

                for (var sy = 0; sy < scale; sy++)
                {
                    var row = (((y * scale) + sy) * width * scale) + (x * scale);
                    for (var sx = 0; sx < scale; sx++)
                    {
                        var o = (row + sx) * 4;
                        pixels[o] = r;
                        pixels[o + 1] = g;
                        pixels[o + 2] = b;
                        pixels[o + 3] = 255;
                    }
                }
            }
        }

        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bmp.GetPixels(), pixels.Length);
        return bmp;
    }

    private static void Outline(SKCanvas canvas, SaliencyMap roi, int ox, int oy, int scale)
    {
        using var paint = new SKPaint { Color = new SKColor(0, 230, 118), IsAntialias = false, Style = SKPaintStyle.Fill };
        bool Inside(int y, int x) => y >= 0 && x >= 0 && y < roi.Height && x < roi.Width && roi[y, x] > 0.5f;
        for (var y = 0; y < roi.Height; y++)
        {
            for (var x = 0; x < roi.Width; x++)
            {
                if (!Inside(y, x))
                {
                    continue;
                }

                var l = ox + (x * scale);
                var t = oy + (y * scale);
                if (!Inside(y - 1, x))
                {
                    canvas.DrawRect(l, t, scale, 1, paint);
                }

                if (!Inside(y + 1, x))
                {
                    canvas.DrawRect(l, t + scale - 1, scale, 1, paint);
                }

                if (!Inside(y, x - 1))
                {
                    canvas.DrawRect(l, t, 1, scale, paint);
                }

                if (!Inside(y, x + 1))
                {
                    canvas.DrawRect(l + scale - 1, t, 1, scale, paint);
                }
            }
        }
    }

    private static void Dot(SKCanvas canvas, SKPoint p, SKColor color)
    {
        using var fill = new SKPaint { Color = color, IsAntialias = true };
        using var ring = new SKPaint { Color = SKColors.White, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawCircle(p, 3.5f, fill);
        canvas.DrawCircle(p, 3.5f, ring);
    }

    private static void Arrow(SKCanvas canvas, SKPoint from, SKPoint to, SKColor color, float width, float head)
    {
        var dx = to.X - from.X;
        var dy = to.Y - from.Y;
        var len = MathF.Sqrt((dx * dx) + (dy * dy));
        using var paint = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = width, Style = SKPaintStyle.Stroke };
        if (len < 1e-3f)
        {
            canvas.DrawCircle(from, 2f, paint);
            return;
        }

        canvas.DrawLine(from, to, paint);
        var ux = dx / len;
        var uy = dy / len;
        using var path = Triangle(to, new SKPoint(to.X - (head * ux) + (head * 0.5f * uy), to.Y - (head * uy) - (head * 0.5f * ux)), new SKPoint(to.X - (head * ux) - (head * 0.5f * uy), to.Y - (head * uy) + (head * 0.5f * ux)));
        using var fill = new SKPaint { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };
        canvas.DrawPath(path, fill);
    }

    private static SKPath Triangle(SKPoint a, SKPoint b, SKPoint c)
    {
        using var builder = new SKPathBuilder();
        builder.AddPoly([a, b, c], true);
        return builder.Detach();
    }

    private static void Arrowhead(SKCanvas canvas, SKPoint tip, SKColor color, float size)
    {
        using var path = Triangle(tip, new SKPoint(tip.X - (size * 0.6f), tip.Y + size), new SKPoint(tip.X + (size * 0.6f), tip.Y + size));
        using var fill = new SKPaint { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };
        using var edge = new SKPaint { Color = SKColors.White, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1.5f };
        canvas.DrawPath(path, fill);
        canvas.DrawPath(path, edge);
    }
}
