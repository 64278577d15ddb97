using Chorus.Data.Imaging;
using SkiaSharp;

namespace Chorus.Data.Synthetic;

/// <summary>The class-bearing properties of one lesion, each in [0, 1] (0 = typical benign look).</summary>
/// <param name="Asymmetry">Amplitude of the one-sided lobe and 3-fold harmonic of the outline, and offset of the pigment centre.</param>
/// <param name="Irregularity">Amplitude of the high-frequency harmonics of the outline (ragged, notched border).</param>
/// <param name="Variegation">Number and contrast of colour patches; chance of black and blue-grey ones.</param>
/// <param name="Patches">Colour patches drawn.</param>
/// <param name="BlueGreyPatches">Of those, blue-grey ones.</param>
internal sealed record LesionTraits(float Asymmetry, float Irregularity, float Variegation, int Patches, int BlueGreyPatches);

/// <summary>The nuisance draws of one image; none depends on the class.</summary>
/// <param name="SkinTone">0 = light, 1 = dark.</param>
/// <param name="Hairs">Hair strands drawn.</param>
/// <param name="Ruler">Whether a ruler with scale marks is drawn along one edge.</param>
/// <param name="Vignette">Darkness of the dermoscope corners, 0 (none) to 0.95.</param>
/// <param name="Gradient">Strength of the linear illumination gradient (relative brightness change centre-to-edge).</param>
/// <param name="JpegQuality">JPEG quality the image is saved with.</param>
internal sealed record LesionDistractors(float SkinTone, int Hairs, bool Ruler, float Vignette, float Gradient, int JpegQuality);

/// <summary>One rendered SynthLesions image (before JPEG encoding) with its exact mask and the draws tests need.</summary>
internal sealed record LesionSample(
    int Index,
    int ClassIndex,
    RgbImage Image,
    GrayImage Mask,
    float CentreX,
    float CentreY,
    LesionTraits Traits,
    LesionDistractors Distractors);

/// <summary>
/// Renders one dermoscopy-like image. The lesion outline is a star-shaped polar curve r(θ) (an ellipse of random
/// elongation and orientation times 1 + harmonics + a lobe); a pixel belongs to the lesion exactly when its centre
/// is inside that curve, and that same test decides both the mask and where lesion colour is painted. Distractors
/// (hair, ruler, vignetting, illumination, noise) are applied afterwards over the whole image and do not change the mask.
/// <para>
/// Three generators per image keep the class from leaking into nuisances: stream <c>LesionStream</c> draws the
/// lesion (a fixed number of draws whatever the class), <c>DistractorStream</c> the nuisances and <c>NoiseStream</c>
/// the pixel noise.
/// </para>
/// </summary>
internal static class LesionRenderer
{
    private const ulong LesionStream = 0x4C45;
    private const ulong DistractorStream = 0x4449;
    private const ulong NoiseStream = 0x4E4F;
    private const int MaxPatches = 6;
    private const int MaxHairs = 8;
    private const int AngleSteps = 720;
    private const int NoiseAmplitude = 3;
    private static readonly (float R, float G, float B) BlueGrey = (100, 110, 132);

    /// <summary>Renders image <paramref name="index"/>; <paramref name="classIndex"/> overrides its class (tests only).</summary>
    public static LesionSample Render(SynthLesionsOptions options, int index, int? classIndex = null)
    {
        var n = options.ImageSize;
        var s = n / 64f; // 1 "design pixel" at 64 px
        var cls = classIndex ?? SynthLesions.ClassOf(index);
        var lr = Xoshiro256.ForItem(options.Seed, index, LesionStream);
        var dr = Xoshiro256.ForItem(options.Seed, index, DistractorStream);
        var nr = Xoshiro256.ForItem(options.Seed, index, NoiseStream);

        // Class cues: overlapping ranges, so no single cue decides the class.
        var asym = Severity(cls, ref lr);
        var irr = Severity(cls, ref lr);
        var varg = Severity(cls, ref lr);

        // Outline.
        var radius = lr.Range(0.18, 0.28) * n;
        var elong = lr.Range(1.0, 1.35);
        var orient = lr.Range(0, Math.PI);
        var outline = Outline(ref lr, asym, irr, elong, orient);
        var rmax = outline.Max() * radius;
        var limit = 0.44f * n;
        if (rmax > limit)
        {
            radius *= limit / rmax;
            rmax = limit;
        }

        var room = Math.Max(0, (n / 2f) - rmax - 2);
        var cx = (n / 2f) + (lr.Range(-1, 1) * Math.Min(room, 0.12f * n));
        var cy = (n / 2f) + (lr.Range(-1, 1) * Math.Min(room, 0.12f * n));

        // Colours.
        var skinTone = dr.Range(0, 1);
        var redness = dr.Range(-8, 12);
        var skin = Lerp((238, 202, 184), (150, 104, 80), skinTone);
        skin = (skin.R + redness, skin.G, skin.B - (redness / 2));
        var dark = lr.Range(0.38, 0.62);
        var lesionBase = (skin.R * dark, skin.G * dark * 0.86f, skin.B * dark * 0.78f);
        var pigmentAngle = lr.Range(0, 2 * Math.PI);
        var pigmentX = cx + (MathF.Cos(pigmentAngle) * asym * 0.45f * radius);
        var pigmentY = cy + (MathF.Sin(pigmentAngle) * asym * 0.45f * radius);
        var centreDark = lr.Range(0.1, 0.3);

        var patchCount = Math.Min(MaxPatches, (int)((varg * 5) + lr.Range(0, 1)));
        var patches = new Patch[MaxPatches];
        var blueGrey = 0;
        for (var i = 0; i < MaxPatches; i++)
        {
            var angle = lr.Range(0, 2 * Math.PI);
            var rho = MathF.Sqrt(lr.Range(0, 1)) * 0.7f;
            var sigma = lr.Range(0.15, 0.35) * radius;
            var kind = lr.NextDouble();
            var shade = lr.Range(0.45, 1.45);
            (float R, float G, float B) colour =
                kind < 0.7 * Math.Max(0, varg - 0.25) ? BlueGrey // blue-grey (regression structures)
                : kind < 0.75 * varg ? (48, 34, 32) // black-brown
                : (lesionBase.Item1 * shade, lesionBase.Item2 * shade, lesionBase.Item3 * shade);
            var px = cx + (MathF.Cos(angle) * rho * OutlineAt(outline, angle) * radius);
            var py = cy + (MathF.Sin(angle) * rho * OutlineAt(outline, angle) * radius);
            patches[i] = new Patch(px, py, sigma, colour, 0.3f + (0.6f * varg));
            if (i < patchCount && colour == BlueGrey)
            {
                blueGrey++;
            }
        }

        var netPeriod = lr.Range(3.0, 4.5) * s;
        var netAngle = lr.Range(0, Math.PI);
        var netAmp = lr.Range(0.0, 0.22);
        var lesionNoise = ValueNoise.Create(ref lr, 5);
        var warpU = ValueNoise.Create(ref lr, 4);
        var warpV = ValueNoise.Create(ref lr, 4);

        // Nuisances (distractor stream only).
        var skinNoise = ValueNoise.Create(ref dr, 6);
        var gradAngle = dr.Range(0, 2 * Math.PI);
        var gradient = dr.Range(0, 0.15);
        var vignette = dr.NextDouble() < 0.7 ? dr.Range(0.5, 0.95) : 0f;
        var vignetteRadius = dr.Range(0.58, 0.74) * n;
        var vcx = (n / 2f) + dr.Range(-0.05, 0.05) * n;
        var vcy = (n / 2f) + dr.Range(-0.05, 0.05) * n;
        var hairs = dr.NextDouble() < 0.45 ? 0 : 1 + dr.NextInt(MaxHairs);
        var ruler = dr.NextDouble() < 0.3;
        using var overlay = RenderOverlay(n, s, hairs, ruler, ref dr);
        var quality = 78 + dr.NextInt(18);

        // Compose.
        var mask = new GrayImage(n, n);
        var image = new RgbImage(n, n);
        var ov = overlay.GetPixelSpan();
        var cosN = MathF.Cos(netAngle);
        var sinN = MathF.Sin(netAngle);
        var cosN60 = MathF.Cos(netAngle + (MathF.PI / 3));
        var sinN60 = MathF.Sin(netAngle + (MathF.PI / 3));
        var cosN120 = MathF.Cos(netAngle + (2 * MathF.PI / 3));
        var sinN120 = MathF.Sin(netAngle + (2 * MathF.PI / 3));
        var cosG = MathF.Cos(gradAngle);
        var sinG = MathF.Sin(gradAngle);
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                var p = (y * n) + x;
                float fx = x + 0.5f, fy = y + 0.5f;
                var u = fx / n;
                var v = fy / n;
                var sk = 1 + (0.07f * (skinNoise.Sample(u, v) - 0.5f));
                var c = (R: skin.R * sk, G: skin.G * sk, B: skin.B * sk);

                var dx = fx - cx;
                var dy = fy - cy;
                var d = MathF.Sqrt((dx * dx) + (dy * dy));
                var r = OutlineAt(outline, MathF.Atan2(dy, dx)) * radius;
                if (d < r)
                {
                    mask.Pixels[p] = 255;
                    var rho = d / r;
                    var l = lesionBase;
                    var pd2 = ((fx - pigmentX) * (fx - pigmentX)) + ((fy - pigmentY) * (fy - pigmentY));
                    var centre = 1 - (centreDark * MathF.Exp(-pd2 / (2 * 0.2f * radius * radius)));
                    var lc = (R: l.Item1 * centre, G: l.Item2 * centre, B: l.Item3 * centre);
                    for (var i = 0; i < patchCount; i++)
                    {
                        var pt = patches[i];
                        var q2 = ((fx - pt.X) * (fx - pt.X)) + ((fy - pt.Y) * (fy - pt.Y));
                        var w = pt.Strength * MathF.Exp(-q2 / (2 * pt.Sigma * pt.Sigma));
                        lc = (Mix(lc.R, pt.Colour.R, w), Mix(lc.G, pt.Colour.G, w), Mix(lc.B, pt.Colour.B, w));
                    }

                    // Pigment network: a honeycomb (three plane waves 60° apart) on a warped grid; dark lines around
                    // light holes, fading towards the border.
                    var wx = fx + (2 * netPeriod * (warpU.Sample(u, v) - 0.5f));
                    var wy = fy + (2 * netPeriod * (warpV.Sample(u, v) - 0.5f));
                    var k = 2 * MathF.PI / netPeriod;
                    var w0 = MathF.Cos(k * ((cosN * wx) + (sinN * wy)));
                    var w1 = MathF.Cos(k * ((cosN60 * wx) + (sinN60 * wy)));
                    var w2 = MathF.Cos(k * ((cosN120 * wx) + (sinN120 * wy)));
                    var cell = Math.Clamp((w0 + w1 + w2 + 1.5f) / 4.5f, 0, 1); // 1 in the holes, 0 on the lines
                    var tex = (1 - (netAmp * (1 - (0.6f * rho)) * (1 - (cell * cell)))) * (1 + (0.12f * (lesionNoise.Sample(u, v) - 0.5f)));
                    var alpha = rho < 0.7f ? 1f : 1 - (0.4f * MathF.Pow((rho - 0.7f) / 0.3f, 1.5f));
                    c = (Mix(c.R, lc.R * tex, alpha), Mix(c.G, lc.G * tex, alpha), Mix(c.B, lc.B * tex, alpha));
                }

                // Hair and ruler (premultiplied overlay), then illumination, vignetting and noise.
                var a = ov[(p * 4) + 3] / 255f;
                c = ((c.R * (1 - a)) + ov[p * 4], (c.G * (1 - a)) + ov[(p * 4) + 1], (c.B * (1 - a)) + ov[(p * 4) + 2]);
                var light = 1 + (gradient * (((fx - (n / 2f)) * cosG) + ((fy - (n / 2f)) * sinG)) / (n / 2f));
                var vd = MathF.Sqrt(((fx - vcx) * (fx - vcx)) + ((fy - vcy) * (fy - vcy)));
                light *= 1 - (vignette * SmoothStep(vignetteRadius - (0.07f * n), vignetteRadius + (0.07f * n), vd));
                image.Pixels[p * 3] = Quantise(c.R * light, ref nr);
                image.Pixels[(p * 3) + 1] = Quantise(c.G * light, ref nr);
                image.Pixels[(p * 3) + 2] = Quantise(c.B * light, ref nr);
            }
        }

        return new LesionSample(
            index,
            cls,
            image,
            mask,
            cx,
            cy,
            new LesionTraits(asym, irr, varg, patchCount, blueGrey),
            new LesionDistractors(skinTone, hairs, ruler, vignette, gradient, quality));
    }

    /// <summary>A class cue: benign in [0, 0.65), malignant in [0.35, 1).</summary>
    private static float Severity(int cls, ref Xoshiro256 rng) => cls == 1 ? rng.Range(0.35, 1.0) : rng.Range(0.0, 0.65);

    /// <summary>The relative outline r(θ)/R on <see cref="AngleSteps"/> angles: ellipse × (1 + harmonics + lobe).</summary>
    private static float[] Outline(ref Xoshiro256 rng, float asym, float irr, float elong, float orient)
    {
        // A fixed number of draws, whatever the amplitudes.
        var lobeAngle = rng.Range(0, 2 * Math.PI);
        var lobeWidth = rng.Range(0.45, 0.8);
        var lobeSign = rng.NextDouble() < 0.75 ? 1f : -0.6f; // mostly a bulge, sometimes a flattened side
        var harmonics = new (int K, float Amp, float Phase)[16];
        harmonics[0] = (2, 0.03f * rng.Range(0, 1), rng.Range(0, 2 * Math.PI));
        harmonics[1] = (3, 0.09f * asym * rng.Range(0.5, 1), rng.Range(0, 2 * Math.PI));
        for (var i = 2; i < 10; i++)
        {
            var k = 2 + i; // 4..11
            harmonics[i] = (k, (0.01f + (0.065f * irr)) * rng.Range(0.4, 1) / MathF.Sqrt(k / 4f), rng.Range(0, 2 * Math.PI));
        }

        for (var i = 10; i < 16; i++)
        {
            var k = 13 + (2 * (i - 10)); // 13..23, odd
            harmonics[i] = (k, 0.03f * irr * rng.Range(0.4, 1), rng.Range(0, 2 * Math.PI));
        }

        var a = MathF.Sqrt(elong);
        var b = 1 / a;
        var table = new float[AngleSteps];
        for (var t = 0; t < AngleSteps; t++)
        {
            var theta = 2 * MathF.PI * t / AngleSteps;
            var ct = MathF.Cos(theta - orient) / a;
            var st = MathF.Sin(theta - orient) / b;
            var ellipse = 1 / MathF.Sqrt((ct * ct) + (st * st));
            var sum = 1f;
            foreach (var (k, amp, phase) in harmonics)
            {
                sum += amp * MathF.Cos((k * theta) + phase);
            }

            var dl = AngleDistance(theta, lobeAngle);
            sum += lobeSign * 0.32f * asym * MathF.Exp(-(dl * dl) / (2 * lobeWidth * lobeWidth));
            table[t] = ellipse * Math.Max(0.35f, sum);
        }

        // Normalise the area (∝ mean r²) to that of the bare ellipse (mean r² = 1 since a·b = 1), so that the
        // lobe and harmonics change the shape but not the size: lesion size stays a pure nuisance.
        var meanSquare = 0.0;
        foreach (var r in table)
        {
            meanSquare += (double)r * r;
        }

        var norm = (float)Math.Sqrt(meanSquare / AngleSteps);
        for (var t = 0; t < AngleSteps; t++)
        {
            table[t] /= norm;
        }

        return table;
    }

    /// <summary>r(θ)/R, linearly interpolated in the table (θ in radians, any range).</summary>
    private static float OutlineAt(float[] table, float theta)
    {
        var t = theta / (2 * MathF.PI) * AngleSteps;
        t -= MathF.Floor(t / AngleSteps) * AngleSteps;
        var i = (int)t;
        var f = t - i;
        var i0 = i % AngleSteps;
        var i1 = (i + 1) % AngleSteps;
        return (table[i0] * (1 - f)) + (table[i1] * f);
    }

    private static float AngleDistance(float a, float b)
    {
        var d = MathF.Abs(a - b) % (2 * MathF.PI);
        return d > MathF.PI ? (2 * MathF.PI) - d : d;
    }

    /// <summary>Hair strands and an optional ruler, antialiased, on a transparent premultiplied RGBA layer.</summary>
    private static SKBitmap RenderOverlay(int n, float s, int hairs, bool ruler, ref Xoshiro256 rng)
    {
        var bitmap = new SKBitmap(new SKImageInfo(n, n, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Transparent);
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };
        for (var i = 0; i < MaxHairs; i++)
        {
            // Always draw the parameters, so the stream does not depend on the hair count.
            var x0 = rng.Range(-0.1, 1.1) * n;
            var y0 = rng.Range(-0.1, 1.1) * n;
            var angle = rng.Range(0, 2 * Math.PI);
            var length = rng.Range(0.4, 1.1) * n;
            var bend = rng.Range(-0.25, 0.25) * length;
            var width = rng.Range(0.45, 1.0) * s;
            var tone = (byte)rng.NextInt(45);
            if (i >= hairs)
            {
                continue;
            }

            var x1 = x0 + (MathF.Cos(angle) * length);
            var y1 = y0 + (MathF.Sin(angle) * length);
            var mx = ((x0 + x1) / 2) - (MathF.Sin(angle) * bend);
            var my = ((y0 + y1) / 2) + (MathF.Cos(angle) * bend);
            paint.Color = new SKColor((byte)(30 + tone), (byte)(22 + tone), (byte)(18 + tone), 235);
            paint.StrokeWidth = Math.Max(0.5f, width);
            using var builder = new SKPathBuilder();
            builder.MoveTo(x0, y0);
            builder.QuadTo(mx, my, x1, y1);
            using var path = builder.Detach();
            canvas.DrawPath(path, paint);
        }

        var side = rng.NextInt(4);
        var offset = rng.Range(0.04, 0.09) * n;
        var spacing = rng.Range(0.05, 0.07) * n;
        var start = rng.Range(0, 1) * spacing;
        if (ruler)
        {
            // Drawn along the top edge, then rotated onto the chosen side.
            canvas.Save();
            canvas.RotateDegrees(90 * side, n / 2f, n / 2f);
            paint.Color = new SKColor(20, 20, 20, 220);
            paint.StrokeCap = SKStrokeCap.Butt;
            paint.StrokeWidth = Math.Max(0.6f, 0.7f * s);
            canvas.DrawLine(0, offset, n, offset, paint);
            var tick = 0;
            for (var x = start; x < n; x += spacing, tick++)
            {
                var len = (tick % 5 == 0 ? 0.06f : 0.03f) * n;
                canvas.DrawLine(x, offset, x, offset + len, paint);
            }

            canvas.Restore();
        }

        return bitmap;
    }

    private static (float R, float G, float B) Lerp((float R, float G, float B) a, (float R, float G, float B) b, float t) =>
        (a.R + ((b.R - a.R) * t), a.G + ((b.G - a.G) * t), a.B + ((b.B - a.B) * t));

    private static float Mix(float a, float b, float w) => a + ((b - a) * w);

    private static float SmoothStep(float e0, float e1, float x)
    {
        var t = Math.Clamp((x - e0) / (e1 - e0), 0, 1);
        return t * t * (3 - (2 * t));
    }

    private static byte Quantise(float v, ref Xoshiro256 rng)
    {
        var noise = rng.NextInt((2 * NoiseAmplitude) + 1) - NoiseAmplitude;
        return (byte)Math.Clamp((int)MathF.Round(v, MidpointRounding.AwayFromZero) + noise, 0, 255);
    }

    private readonly record struct Patch(float X, float Y, float Sigma, (float R, float G, float B) Colour, float Strength);

    /// <summary>Smooth random field: a (cells+1)² grid of uniform values, bilinearly interpolated over [0, 1]².</summary>
    private sealed class ValueNoise
    {
        private readonly float[] _grid;
        private readonly int _cells;

        private ValueNoise(float[] grid, int cells)
        {
            _grid = grid;
            _cells = cells;
        }

        public static ValueNoise Create(ref Xoshiro256 rng, int cells)
        {
            var grid = new float[(cells + 1) * (cells + 1)];
            for (var i = 0; i < grid.Length; i++)
            {
                grid[i] = (float)rng.NextDouble();
            }

            return new ValueNoise(grid, cells);
        }

        /// <summary>The field at (<paramref name="u"/>, <paramref name="v"/>) in [0, 1]², in [0, 1].</summary>
        public float Sample(float u, float v)
        {
            var x = Math.Clamp(u, 0, 1) * _cells;
            var y = Math.Clamp(v, 0, 1) * _cells;
            var i = Math.Min((int)x, _cells - 1);
            var j = Math.Min((int)y, _cells - 1);
            var fx = x - i;
            var fy = y - j;
            var w = _cells + 1;
            var top = (_grid[(j * w) + i] * (1 - fx)) + (_grid[(j * w) + i + 1] * fx);
            var bottom = (_grid[((j + 1) * w) + i] * (1 - fx)) + (_grid[((j + 1) * w) + i + 1] * fx);
            return (top * (1 - fy)) + (bottom * fy);
        }
    }
}
