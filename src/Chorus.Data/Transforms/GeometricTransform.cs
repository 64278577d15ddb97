using Chorus.Data.Imaging;
using Chorus.Data.Regions;
using Chorus.Explanations;

namespace Chorus.Data.Transforms;

/// <summary>What a transform samples where an output pixel maps outside the source image.</summary>
public enum OutsideFill
{
    /// <summary>The nearest edge pixel (PyTorch <c>grid_sample(padding_mode="border")</c>); what a resize does at its edges.</summary>
    Border,

    /// <summary>Zero (PyTorch <c>grid_sample(padding_mode="zeros")</c>): taps outside the image count as 0.</summary>
    Zeros,
}

/// <summary>
/// A geometric transform from a source image of <see cref="SourceWidth"/>×<see cref="SourceHeight"/> to an output of
/// <see cref="Width"/>×<see cref="Height"/> that maps the image, its masks and its keypoints consistently.
/// <para>
/// Conventions. Coordinates are continuous pixel coordinates: pixel (i, j) covers [i, i+1) × [j, j+1) and its centre
/// is (i + 0.5, j + 0.5); CUB/SynthBirds keypoints are in these coordinates. <see cref="Forward"/> maps source points to
/// output points; an output pixel samples the source at <c>Inverse(u + 0.5, v + 0.5)</c>, which is PyTorch's
/// <c>align_corners=False</c> (half-pixel) convention, so <see cref="Resize"/> samples exactly like <see cref="ImageResize"/>.
/// Images are sampled bilinearly (no antialiasing), masks with nearest neighbour so they stay binary, and a keypoint
/// lands on the output pixel that contains its mapped point (<see cref="MapToPixel"/>).
/// </para>
/// <para>
/// A transform with an odd number of horizontal flips is <see cref="Mirrored"/>: left/right parts swap names
/// (<see cref="MapPartId"/>, <see cref="MapPartName"/>, <see cref="PartFlip"/>).
/// </para>
/// </summary>
public sealed class GeometricTransform
{
    /// <summary>Tolerance that snaps mapped coordinates lying on a pixel edge up to it, against rounding of inexact ratios.</summary>
    private const double EdgeSnap = 1e-9;

    private GeometricTransform(int sourceWidth, int sourceHeight, int width, int height, Affine2D forward, Affine2D inverse, bool mirrored, OutsideFill fill)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
        Width = width;
        Height = height;
        Forward = forward;
        Inverse = inverse;
        Mirrored = mirrored;
        Fill = fill;
    }

    public int SourceWidth { get; }

    public int SourceHeight { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Source point → output point.</summary>
    public Affine2D Forward { get; }

    /// <summary>Output point → source point (what sampling uses).</summary>
    public Affine2D Inverse { get; }

    /// <summary>Whether the transform mirrors the image (odd number of flips): left/right parts swap.</summary>
    public bool Mirrored { get; }

    /// <summary>What is sampled outside the source: <see cref="OutsideFill.Border"/> for resizes, crops and flips,
    /// <see cref="OutsideFill.Zeros"/> as soon as an <see cref="Affine"/> step is involved.</summary>
    public OutsideFill Fill { get; }

    /// <summary>The identity on a <paramref name="width"/>×<paramref name="height"/> image.</summary>
    public static GeometricTransform Identity(int width, int height) =>
        new(width, height, width, height, Affine2D.Identity, Affine2D.Identity, false, OutsideFill.Border);

    /// <summary>Resize (stretch) to <paramref name="width"/>×<paramref name="height"/>: <c>x' = x · width / sourceWidth</c>.</summary>
    public static GeometricTransform Resize(int sourceWidth, int sourceHeight, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);

        // Both directions built from the ratios themselves (not by inversion) so that sampling is bit-identical to ImageResize.
        var forward = new Affine2D((double)width / sourceWidth, 0, 0, 0, (double)height / sourceHeight, 0);
        var inverse = new Affine2D((double)sourceWidth / width, 0, 0, 0, (double)sourceHeight / height, 0);
        return new(sourceWidth, sourceHeight, width, height, forward, inverse, false, OutsideFill.Border);
    }

    /// <summary>
    /// The centred <paramref name="width"/>×<paramref name="height"/> window of the source, offset
    /// <c>round((source − crop) / 2)</c> (ties to even, as torchvision's <c>center_crop</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The crop is larger than the source.</exception>
    public static GeometricTransform CentreCrop(int sourceWidth, int sourceHeight, int width, int height)
    {
        if (width > sourceWidth || height > sourceHeight)
        {
            throw new ArgumentException($"A {width}×{height} crop does not fit in a {sourceWidth}×{sourceHeight} image.", nameof(width));
        }

        var left = Math.Round((sourceWidth - width) / 2.0, MidpointRounding.ToEven);
        var top = Math.Round((sourceHeight - height) / 2.0, MidpointRounding.ToEven);
        return new(sourceWidth, sourceHeight, width, height, new Affine2D(1, 0, -left, 0, 1, -top), new Affine2D(1, 0, left, 0, 1, top), false, OutsideFill.Border);
    }

    /// <summary>
    /// torchvision's <c>Resize(size)</c> then <c>CenterCrop(size)</c>: the shorter side is scaled to
    /// <paramref name="size"/> (the longer to <c>floor(size · long / short)</c>), then the centred square is kept.
    /// </summary>
    public static GeometricTransform ResizeShorterSideThenCentreCrop(int sourceWidth, int sourceHeight, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        var (w, h) = sourceWidth <= sourceHeight
            ? (size, (int)((long)size * sourceHeight / sourceWidth))
            : ((int)((long)size * sourceWidth / sourceHeight), size);
        return Resize(sourceWidth, sourceHeight, w, h).Then(CentreCrop(w, h, size, size));
    }

    /// <summary>Mirror left-right: <c>x' = width − x</c> (pixel i goes to pixel width − 1 − i); left/right parts swap.</summary>
    public static GeometricTransform HorizontalFlip(int width, int height)
    {
        var map = new Affine2D(-1, 0, width, 0, 1, 0);
        return new(width, height, width, height, map, map, true, OutsideFill.Border);
    }

    /// <summary>
    /// A similarity about the image centre, keeping the size: rotate by <paramref name="rotationDegrees"/>
    /// (positive = counter-clockwise on screen, as torchvision), scale by <paramref name="scale"/>, then shift by
    /// (<paramref name="translateX"/>, <paramref name="translateY"/>) pixels. Outside the source reads as zero.
    /// </summary>
    public static GeometricTransform Affine(int width, int height, double rotationDegrees, double scale = 1, double translateX = 0, double translateY = 0)
    {
        if (!(scale > 0) || !double.IsFinite(scale) || !double.IsFinite(rotationDegrees) || !double.IsFinite(translateX) || !double.IsFinite(translateY))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "The scale must be positive and every parameter finite.");
        }

        var a = rotationDegrees * Math.PI / 180;
        var (cos, sin) = (Math.Cos(a) * scale, Math.Sin(a) * scale);
        var (cx, cy) = (width / 2.0, height / 2.0);

        // p' = c + S·R·(p − c) + t, with R counter-clockwise on screen (y points down).
        var forward = new Affine2D(cos, sin, cx - (cos * cx) - (sin * cy) + translateX, -sin, cos, cy + (sin * cx) - (cos * cy) + translateY);
        return new(width, height, width, height, forward, forward.Invert(), false, OutsideFill.Zeros);
    }

    /// <summary>This transform followed by <paramref name="next"/> (whose source must be this transform's output).</summary>
    public GeometricTransform Then(GeometricTransform next)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (next.SourceWidth != Width || next.SourceHeight != Height)
        {
            throw new ArgumentException($"The next transform expects {next.SourceWidth}×{next.SourceHeight} but this one outputs {Width}×{Height}.", nameof(next));
        }

        return new(
            SourceWidth,
            SourceHeight,
            next.Width,
            next.Height,
            Affine2D.Compose(Forward, next.Forward),
            Affine2D.Compose(next.Inverse, Inverse),
            Mirrored ^ next.Mirrored,
            Fill == OutsideFill.Zeros || next.Fill == OutsideFill.Zeros ? OutsideFill.Zeros : OutsideFill.Border);
    }

    /// <summary>Maps a source point (continuous pixel coordinates) to the output.</summary>
    public (double X, double Y) MapPoint(double x, double y) => Forward.Apply(x, y);

    /// <summary>The output pixel containing the mapped point (e.g. a keypoint), or null when it falls outside the output.</summary>
    public (int X, int Y)? MapToPixel(double x, double y)
    {
        var (u, v) = Forward.Apply(x, y);
        var (i, j) = ((int)Math.Floor(u + EdgeSnap), (int)Math.Floor(v + EdgeSnap));
        return i >= 0 && j >= 0 && i < Width && j < Height ? (i, j) : null;
    }

    /// <summary>The output pixel that source pixel (<paramref name="x"/>, <paramref name="y"/>)'s centre lands in, or null.</summary>
    public (int X, int Y)? MapPixel(int x, int y) => MapToPixel(x + 0.5, y + 0.5);

    /// <summary>The CUB part id to use for a part after this transform (left/right swapped when <see cref="Mirrored"/>).</summary>
    public int MapPartId(int partId) => Mirrored ? PartFlip.SwapId(partId) : partId;

    /// <summary>The part name to use after this transform (left/right swapped when <see cref="Mirrored"/>).</summary>
    public string MapPartName(string name) => Mirrored ? PartFlip.SwapName(name) : name;

    /// <summary>Samples an RGB image bilinearly, rounded to bytes.</summary>
    public RgbImage Apply(RgbImage source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var planar = new float[3 * Width * Height];
        ApplyToPlanar(source, planar, scale: 1f);
        var result = new RgbImage(Width, Height);
        var plane = Width * Height;
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                result.Pixels[(i * 3) + c] = (byte)Math.Clamp(MathF.Round(planar[(c * plane) + i], MidpointRounding.AwayFromZero), 0f, 255f);
            }
        }

        return result;
    }

    /// <summary>
    /// Samples an RGB image bilinearly straight into planar CHW floats (<c>destination[c·H·W + y·W + x] = value · scale</c>);
    /// for <see cref="Resize"/> the result equals <see cref="ImageResize.BilinearToPlanar"/> bit for bit.
    /// </summary>
    public void ApplyToPlanar(RgbImage source, Span<float> destination, float scale = 1f / 255f)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckSource(source.Width, source.Height);
        var plane = Width * Height;
        if (destination.Length != 3 * plane)
        {
            throw new ArgumentException($"Need {3 * plane} floats, got {destination.Length}.", nameof(destination));
        }

        var src = source.Pixels;
        var (sw, sh) = (source.Width, source.Height);
        var zeros = Fill == OutsideFill.Zeros;
        Span<int> taps = stackalloc int[4];
        for (var v = 0; v < Height; v++)
        {
            for (var u = 0; u < Width; u++)
            {
                var (sx, sy) = Inverse.Apply(u + 0.5, v + 0.5);
                sx -= 0.5;
                sy -= 0.5;
                int x0, x1, y0, y1;
                float wx, wy;
                if (zeros)
                {
                    x0 = (int)Math.Floor(sx);
                    y0 = (int)Math.Floor(sy);
                    (x1, y1) = (x0 + 1, y0 + 1);
                    (wx, wy) = ((float)(sx - x0), (float)(sy - y0));
                }
                else
                {
                    sx = Math.Clamp(sx, 0, sw - 1);
                    sy = Math.Clamp(sy, 0, sh - 1);
                    x0 = (int)Math.Floor(sx);
                    y0 = (int)Math.Floor(sy);
                    (x1, y1) = (Math.Min(x0 + 1, sw - 1), Math.Min(y0 + 1, sh - 1));
                    (wx, wy) = ((float)(sx - x0), (float)(sy - y0));
                }

                taps[0] = Index(x0, y0, sw, sh);
                taps[1] = Index(x1, y0, sw, sh);
                taps[2] = Index(x0, y1, sw, sh);
                taps[3] = Index(x1, y1, sw, sh);
                var o = (v * Width) + u;
                for (var ch = 0; ch < 3; ch++)
                {
                    float a = taps[0] < 0 ? 0 : src[taps[0] + ch];
                    float b = taps[1] < 0 ? 0 : src[taps[1] + ch];
                    float c = taps[2] < 0 ? 0 : src[taps[2] + ch];
                    float d = taps[3] < 0 ? 0 : src[taps[3] + ch];
                    var top = a + ((b - a) * wx);
                    var bottom = c + ((d - c) * wx);
                    destination[(ch * plane) + o] = (top + ((bottom - top) * wy)) * scale;
                }
            }
        }
    }

    /// <summary>Samples a gray image or mask with nearest neighbour (values copied, never blended: a binary mask stays binary).</summary>
    public GrayImage ApplyNearest(GrayImage source)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckSource(source.Width, source.Height);
        var result = new GrayImage(Width, Height);
        for (var v = 0; v < Height; v++)
        {
            for (var u = 0; u < Width; u++)
            {
                if (NearestSource(u, v) is { } s)
                {
                    result.Pixels[(v * Width) + u] = source.Pixels[(s.Y * SourceWidth) + s.X];
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Transforms a region: its mask with nearest neighbour (outside the source reads as 0, whatever <see cref="Fill"/>),
    /// its part name left/right swapped when <see cref="Mirrored"/>.
    /// </summary>
    public RegionOfInterest Apply(RegionOfInterest region)
    {
        ArgumentNullException.ThrowIfNull(region);
        CheckSource(region.Width, region.Height);
        var values = new float[Width * Height];
        for (var v = 0; v < Height; v++)
        {
            for (var u = 0; u < Width; u++)
            {
                if (NearestSource(u, v) is { } s && (Fill == OutsideFill.Border || IsInsideSource(u, v)))
                {
                    values[(v * Width) + u] = region.Mask[s.Y, s.X];
                }
            }
        }

        return region with { Part = MapPartName(region.Part), Mask = new SaliencyMap(Height, Width, values) };
    }

    /// <summary>The source pixel output pixel (u, v) copies with nearest neighbour, or null (zeros fill, outside).</summary>
    private (int X, int Y)? NearestSource(int u, int v)
    {
        var (sx, sy) = Inverse.Apply(u + 0.5, v + 0.5);
        var x = (int)Math.Floor(sx + EdgeSnap);
        var y = (int)Math.Floor(sy + EdgeSnap);
        if (x >= 0 && y >= 0 && x < SourceWidth && y < SourceHeight)
        {
            return (x, y);
        }

        return Fill == OutsideFill.Zeros ? null : (Math.Clamp(x, 0, SourceWidth - 1), Math.Clamp(y, 0, SourceHeight - 1));
    }

    private bool IsInsideSource(int u, int v)
    {
        var (sx, sy) = Inverse.Apply(u + 0.5, v + 0.5);
        return sx >= 0 && sy >= 0 && sx < SourceWidth && sy < SourceHeight;
    }

    private static int Index(int x, int y, int width, int height) =>
        x < 0 || y < 0 || x >= width || y >= height ? -1 : ((y * width) + x) * 3;

    private void CheckSource(int width, int height)
    {
        if (width != SourceWidth || height != SourceHeight)
        {
            throw new ArgumentException($"This transform expects a {SourceWidth}×{SourceHeight} source, got {width}×{height}.");
        }
    }
}
