using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using SkiaSharp;

namespace Chorus.Data.Synthetic;

/// <summary>What one rendered SynthBirds image holds, with the random draws tests need to check it.</summary>
internal sealed record SynthBirdSample(
    int Index,
    RgbImage Image,
    GrayImage Labels,
    SynthBirdSpecies Species,
    bool FacingLeft,
    float Contrast,
    float Brightness,
    BoundingBox Box,
    PartLocation[] Parts)
{
    /// <summary>The exact mask of one labelled region (255 inside).</summary>
    public GrayImage Mask(BirdLabel label)
    {
        var mask = new GrayImage(Labels.Width, Labels.Height);
        for (var i = 0; i < mask.Pixels.Length; i++)
        {
            mask.Pixels[i] = Labels.Pixels[i] == (byte)label ? (byte)255 : (byte)0;
        }

        return mask;
    }

    /// <summary>The exact mask of the whole bird (every non-background label).</summary>
    public GrayImage BirdMask()
    {
        var mask = new GrayImage(Labels.Width, Labels.Height);
        for (var i = 0; i < mask.Pixels.Length; i++)
        {
            mask.Pixels[i] = Labels.Pixels[i] != (byte)BirdLabel.Background ? (byte)255 : (byte)0;
        }

        return mask;
    }

    /// <summary>The label holding CUB part <paramref name="partId"/> in this pose, or null when the part has no mask.</summary>
    public BirdLabel? LabelOf(int partId)
    {
        var right = !FacingLeft; // facing right shows the bird's right side
        return partId switch
        {
            CubParts.Beak => BirdLabel.Beak,
            CubParts.Tail => BirdLabel.Tail,
            CubParts.LeftWing => right ? null : BirdLabel.Wing,
            CubParts.RightWing => right ? BirdLabel.Wing : null,
            CubParts.LeftEye => right ? null : BirdLabel.Eye,
            CubParts.RightEye => right ? BirdLabel.Eye : null,
            CubParts.LeftLeg => right ? BirdLabel.FarLeg : BirdLabel.NearLeg,
            CubParts.RightLeg => right ? BirdLabel.NearLeg : BirdLabel.FarLeg,
            _ => null,
        };
    }
}

/// <summary>Regions of the label map, in drawing order (later ones occlude earlier ones).</summary>
internal enum BirdLabel : byte
{
    Background = 0,
    Tail = 1,
    FarLeg = 2,
    NearLeg = 3,
    Body = 4,
    Beak = 5,
    Head = 6,
    Eye = 7,
    Wing = 8,
}

/// <summary>
/// Renders one bird. Geometry is drawn once, without antialiasing, into a label map (one label per region, later
/// regions drawn over earlier ones); the image is then composed pixel by pixel from the label map, so every mask
/// is exactly the set of pixels its part covers in the final image. The bird is drawn in a local frame facing +x
/// (1 unit = the bird's scale in pixels) and placed by a mirror/rotate/scale/translate matrix.
/// </summary>
internal static class BirdRenderer
{
    private const float HeadX = 0.24f;
    private const float HeadY = -0.1f;
    private const float HeadR = 0.105f;
    private const float BeakX0 = 0.32f;
    private const int NoiseAmplitude = 5;

    /// <summary>Keypoints without a mask: CUB part id, local point, the region it must lie on to be visible.</summary>
    private static readonly (int Part, float X, float Y, BirdLabel On)[] SurfacePoints =
    [
        (CubParts.Back, -0.06f, -0.11f, BirdLabel.Body),
        (CubParts.Belly, -0.02f, 0.14f, BirdLabel.Body),
        (CubParts.Breast, 0.16f, 0.06f, BirdLabel.Body),
        (CubParts.Crown, 0.23f, -0.19f, BirdLabel.Head),
        (CubParts.Forehead, 0.31f, -0.155f, BirdLabel.Head),
        (CubParts.Nape, 0.16f, -0.14f, BirdLabel.Head),
        (CubParts.Throat, 0.28f, -0.03f, BirdLabel.Head),
    ];

    public static SynthBirdSample Render(SynthBirdsOptions options, IReadOnlyList<SynthBirdSpecies> table, int index)
    {
        var n = options.ImageSize;
        var species = table[index % table.Count];
        var rng = Xoshiro256.ForItem(options.Seed, index);

        // Nuisance draws: none depends on the species.
        var facingLeft = rng.NextBool();
        var scale = rng.Range(0.65, 0.82) * n;
        var rotation = rng.Range(-12, 12);
        var cx = rng.Range((0.6 * scale) + 0.5, n - (0.6 * scale) - 0.5);
        var cy = rng.Range((0.33 * scale) + 0.5, n - (0.4 * scale) - 0.5);
        var body = RandomBodyColour(ref rng);
        var legs = rng.NextBool() ? new SKColor(60, 50, 45) : new SKColor(200, 120, 60);
        var contrast = rng.Range(0.8, 1.2);
        var brightness = rng.Range(-25, 25);

        var bird = SKMatrix.CreateScale(facingLeft ? -scale : scale, scale)
            .PostConcat(SKMatrix.CreateRotationDegrees(rotation))
            .PostConcat(SKMatrix.CreateTranslation(cx, cy));
        var wingFrame = SKMatrix.CreateRotationDegrees(-8).PostConcat(SKMatrix.CreateTranslation(-0.03f, -0.005f)).PostConcat(bird);

        using var background = RenderBackground(n, ref rng);
        using var wing = RenderWingLayer(n, species.Wing, wingFrame);
        var labels = RenderLabels(n, species.Beak, bird, wingFrame);

        var image = new RgbImage(n, n);
        var bg = background.GetPixelSpan();
        var wg = wing.GetPixelSpan();
        var beak = species.Beak.Colour;
        for (var p = 0; p < n * n; p++)
        {
            SKColor c = (BirdLabel)labels.Pixels[p] switch
            {
                BirdLabel.Background => new SKColor(bg[p * 4], bg[(p * 4) + 1], bg[(p * 4) + 2]),
                BirdLabel.Wing => new SKColor(wg[p * 4], wg[(p * 4) + 1], wg[(p * 4) + 2]),
                BirdLabel.Beak => new SKColor(beak.R, beak.G, beak.B),
                BirdLabel.Eye => new SKColor(12, 12, 12),
                BirdLabel.Tail => Shade(body, 0.75f),
                BirdLabel.NearLeg => legs,
                BirdLabel.FarLeg => Shade(legs, 0.8f),
                _ => body,
            };
            image.Pixels[p * 3] = Light(c.Red, contrast, brightness, ref rng);
            image.Pixels[(p * 3) + 1] = Light(c.Green, contrast, brightness, ref rng);
            image.Pixels[(p * 3) + 2] = Light(c.Blue, contrast, brightness, ref rng);
        }

        var sample = new SynthBirdSample(index, image, labels, species, facingLeft, contrast, brightness, default, new PartLocation[15]);
        return sample with { Box = BoxOf(labels), Parts = Keypoints(sample, bird) };
    }

    /// <summary>The lighting applied to a colour channel before noise: <c>(v - 128) * contrast + 128 + brightness</c>.</summary>
    public static float Lit(byte v, float contrast, float brightness) => ((v - 128) * contrast) + 128 + brightness;

    private static byte Light(byte v, float contrast, float brightness, ref Xoshiro256 rng)
    {
        var noise = rng.NextInt((2 * NoiseAmplitude) + 1) - NoiseAmplitude;
        return (byte)Math.Clamp((int)MathF.Round(Lit(v, contrast, brightness), MidpointRounding.AwayFromZero) + noise, 0, 255);
    }

    private static SKColor Shade(SKColor c, float f) => new((byte)(c.Red * f), (byte)(c.Green * f), (byte)(c.Blue * f));

    /// <summary>Low-saturation body colours (greys, browns, beiges, dull tints): far from every saturated wing colour.</summary>
    private static SKColor RandomBodyColour(ref Xoshiro256 rng)
    {
        var h = rng.Range(0, 360);
        var s = rng.Range(0.0, 0.25);
        var v = rng.Range(0.35, 0.75);
        return SKColor.FromHsv(h, s * 100, v * 100);
    }

    private static SKBitmap RenderBackground(int n, ref Xoshiro256 rng)
    {
        var bitmap = new SKBitmap(new SKImageInfo(n, n, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        var c0 = RandomColour(ref rng);
        var c1 = RandomColour(ref rng);
        var p0 = new SKPoint(rng.Range(0, n), rng.Range(0, n));
        var p1 = new SKPoint(rng.Range(0, n), rng.Range(0, n));
        using (var shader = SKShader.CreateLinearGradient(p0, p1, [c0, c1], SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(0, 0, n, n, paint);
        }

        var shapes = 3 + rng.NextInt(6);
        for (var i = 0; i < shapes; i++)
        {
            using var paint = new SKPaint { Color = RandomColour(ref rng), IsAntialias = true };
            var x = rng.Range(0, n);
            var y = rng.Range(0, n);
            var r = rng.Range(0.04 * n, 0.18 * n);
            switch (rng.NextInt(4))
            {
                case 0:
                    canvas.DrawCircle(x, y, r, paint);
                    break;
                case 1:
                    canvas.DrawRect(x - r, y - (r * 0.6f), 2 * r, 1.2f * r, paint);
                    break;
                case 2:
                    paint.Style = SKPaintStyle.Stroke;
                    paint.StrokeWidth = rng.Range(1, 0.04 * n);
                    canvas.DrawLine(x, y, rng.Range(0, n), rng.Range(0, n), paint);
                    break;
                default:
                    var b = (X: x + (rng.Range(-r, r) * 2), Y: y + (rng.Range(-r, r) * 2));
                    var c = (X: x + (rng.Range(-r, r) * 2), Y: y + (rng.Range(-r, r) * 2));
                    using (var path = Polygon((x, y), b, c))
                    {
                        canvas.DrawPath(path, paint);
                    }

                    break;
            }
        }

        return bitmap;
    }

    private static SKColor RandomColour(ref Xoshiro256 rng) => new((byte)rng.NextInt(256), (byte)rng.NextInt(256), (byte)rng.NextInt(256));

    /// <summary>The wing's base colour everywhere, with its pattern drawn in the wing's own frame (no antialiasing: two crisp colours).</summary>
    private static SKBitmap RenderWingLayer(int n, WingType wing, SKMatrix wingFrame)
    {
        var bitmap = new SKBitmap(new SKImageInfo(n, n, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(new SKColor(wing.Colour.R, wing.Colour.G, wing.Colour.B));
        canvas.SetMatrix(wingFrame);
        using var paint = new SKPaint
        {
            Color = new SKColor(wing.PatternColour.R, wing.PatternColour.G, wing.PatternColour.B),
            IsAntialias = false,
        };
        switch (wing.Pattern)
        {
            case WingPattern.Stripes:
                for (var y = -0.12f; y < 0.12f; y += 0.06f)
                {
                    canvas.DrawRect(-0.3f, y, 0.6f, 0.03f, paint);
                }

                break;
            case WingPattern.Bars:
                for (var x = -0.25f; x < 0.25f; x += 0.075f)
                {
                    canvas.DrawRect(x, -0.15f, 0.035f, 0.3f, paint);
                }

                break;
            case WingPattern.Spots:
                for (var row = 0; row < 5; row++)
                {
                    var y = -0.12f + (row * 0.06f);
                    for (var x = -0.24f + (row % 2 * 0.04f); x < 0.25f; x += 0.08f)
                    {
                        canvas.DrawCircle(x, y, 0.024f, paint);
                    }
                }

                break;
            case WingPattern.Plain:
            default:
                break;
        }

        return bitmap;
    }

    private static GrayImage RenderLabels(int n, BeakType beak, SKMatrix bird, SKMatrix wingFrame)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(n, n, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0, 0, 0, 255));
            using var paint = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill, BlendMode = SKBlendMode.Src };
            void Fill(BirdLabel label, SKPath path, SKMatrix m)
            {
                using (path)
                {
                    canvas.SetMatrix(m);
                    paint.Color = new SKColor((byte)label, 0, 0, 255);
                    canvas.DrawPath(path, paint);
                }
            }

            Fill(BirdLabel.Tail, Polygon((-0.22f, -0.03f), (-0.46f, -0.11f), (-0.48f, 0.02f), (-0.22f, 0.07f)), bird);
            Fill(BirdLabel.FarLeg, Polygon((-0.065f, 0.12f), (-0.035f, 0.12f), (-0.025f, 0.29f), (-0.055f, 0.29f)), bird);
            Fill(BirdLabel.NearLeg, Polygon((0.02f, 0.12f), (0.05f, 0.12f), (0.065f, 0.29f), (0.035f, 0.29f)), bird);
            Fill(BirdLabel.Body, Oval(0, 0.02f, 0.26f, 0.15f), bird);
            Fill(BirdLabel.Beak, BeakPath(beak), bird);
            Fill(BirdLabel.Head, Oval(HeadX, HeadY, HeadR, HeadR), bird);
            Fill(BirdLabel.Eye, Oval(0.27f, -0.125f, 0.024f, 0.024f), bird);
            Fill(BirdLabel.Wing, Oval(0, 0, 0.2f, 0.095f), wingFrame);
        }

        var rgba = bitmap.GetPixelSpan();
        var labels = new GrayImage(n, n);
        for (var p = 0; p < labels.Pixels.Length; p++)
        {
            labels.Pixels[p] = rgba[p * 4];
        }

        return labels;
    }

    /// <summary>The beak outline in the bird frame: base inside the head at x = 0.32, pointing to +x.</summary>
    private static SKPath BeakPath(BeakType beak)
    {
        (float X, float Y)[] pts = beak.Shape switch
        {
            BeakShape.Conical => [(0, -0.055f), (0.15f, 0), (0, 0.055f)],
            BeakShape.Thin => [(0, -0.03f), (0.20f, 0), (0, 0.03f)],
            BeakShape.Hooked => [(0, -0.045f), (0.10f, -0.04f), (0.15f, -0.015f), (0.155f, 0.035f), (0.125f, 0.01f), (0.08f, 0.02f), (0, 0.035f)],
            BeakShape.Decurved => [(0, -0.03f), (0.08f, -0.02f), (0.15f, 0.01f), (0.2f, 0.065f), (0.185f, 0.075f), (0.13f, 0.035f), (0.07f, 0.018f), (0, 0.03f)],
            _ => [(0, -0.032f), (0.15f, -0.032f), (0.17f, -0.015f), (0.17f, 0.015f), (0.15f, 0.032f), (0, 0.032f)],
        };
        // The outlines above are scaled up so that even the short beaks span several pixels at 64 px.
        var stretch = beak.Long ? 1.25f * 1.4f : 1.25f;
        return Polygon(pts.Select(p => (BeakX0 + (p.X * stretch), HeadY + (p.Y * 1.2f))).ToArray());
    }

    private static SKPath Polygon(params (float X, float Y)[] points)
    {
        using var builder = new SKPathBuilder();
        builder.AddPoly(points.Select(p => new SKPoint(p.X, p.Y)).ToArray(), close: true);
        return builder.Detach();
    }

    private static SKPath Oval(float cx, float cy, float rx, float ry)
    {
        using var builder = new SKPathBuilder();
        builder.AddOval(new SKRect(cx - rx, cy - ry, cx + rx, cy + ry), SKPathDirection.Clockwise);
        return builder.Detach();
    }

    private static BoundingBox BoxOf(GrayImage labels)
    {
        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        for (var y = 0; y < labels.Height; y++)
        {
            for (var x = 0; x < labels.Width; x++)
            {
                if (labels[x, y] != 0)
                {
                    minX = Math.Min(minX, x);
                    maxX = Math.Max(maxX, x);
                    minY = Math.Min(minY, y);
                    maxY = Math.Max(maxY, y);
                }
            }
        }

        return maxX < 0 ? default : new BoundingBox(minX, minY, maxX - minX + 1, maxY - minY + 1);
    }

    private static PartLocation[] Keypoints(SynthBirdSample sample, SKMatrix bird)
    {
        var parts = new PartLocation[15];
        for (var id = 1; id <= 15; id++)
        {
            if (sample.LabelOf(id) is { } label)
            {
                parts[id - 1] = Centroid(sample.Labels, label);
            }
        }

        var labels = sample.Labels;
        foreach (var (part, x, y, on) in SurfacePoints)
        {
            var p = bird.MapPoint(x, y);
            int px = (int)MathF.Floor(p.X), py = (int)MathF.Floor(p.Y);
            var visible = px >= 0 && py >= 0 && px < labels.Width && py < labels.Height && labels[px, py] == (byte)on;
            parts[part - 1] = visible ? new PartLocation(p.X, p.Y, true) : default;
        }

        return parts;
    }

    /// <summary>The centroid of a region in pixel-edge coordinates, moved to the nearest pixel centre of the region when it falls outside it.</summary>
    private static PartLocation Centroid(GrayImage labels, BirdLabel label)
    {
        double sx = 0, sy = 0;
        var count = 0;
        for (var y = 0; y < labels.Height; y++)
        {
            for (var x = 0; x < labels.Width; x++)
            {
                if (labels[x, y] == (byte)label)
                {
                    sx += x + 0.5;
                    sy += y + 0.5;
                    count++;
                }
            }
        }

        if (count == 0)
        {
            return default;
        }

        var cx = sx / count;
        var cy = sy / count;
        if (labels[(int)cx, (int)cy] == (byte)label)
        {
            return new PartLocation((float)cx, (float)cy, true);
        }

        var best = double.MaxValue;
        (double X, double Y) nearest = (cx, cy);
        for (var y = 0; y < labels.Height; y++)
        {
            for (var x = 0; x < labels.Width; x++)
            {
                var d = ((x + 0.5 - cx) * (x + 0.5 - cx)) + ((y + 0.5 - cy) * (y + 0.5 - cy));
                if (labels[x, y] == (byte)label && d < best)
                {
                    best = d;
                    nearest = (x + 0.5, y + 0.5);
                }
            }
        }

        return new PartLocation((float)nearest.X, (float)nearest.Y, true);
    }
}
