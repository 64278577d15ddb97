namespace Chorus.Data.Imaging;

/// <summary>
/// Exact, deterministic resizing. Both methods map output pixel centres onto the source with the half-pixel
/// convention (<c>src = (dst + 0.5) * srcSize / dstSize - 0.5</c>), as PyTorch's
/// <c>interpolate(..., align_corners=False)</c> does, so an image and its masks stay aligned when resized to the same size.
/// </summary>
public static class ImageResize
{
    /// <summary>Bilinear resize of an RGB image (no antialiasing filter when shrinking), rounded to bytes.</summary>
    public static RgbImage Bilinear(RgbImage source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        var planar = new float[3 * width * height];
        BilinearToPlanar(source, width, height, planar, scale: 1f);
        var result = new RgbImage(width, height);
        var plane = width * height;
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
    /// Bilinear resize straight into planar CHW floats: <c>destination[c * H * W + y * W + x] = value * scale</c>
    /// (use <c>scale = 1/255f</c> for [0,1]). <paramref name="destination"/> must hold exactly 3×H×W values.
    /// </summary>
    public static void BilinearToPlanar(RgbImage source, int width, int height, Span<float> destination, float scale = 1f / 255f)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (destination.Length != 3 * width * height)
        {
            throw new ArgumentException($"Need {3 * width * height} floats, got {destination.Length}.", nameof(destination));
        }

        var (x0, x1, fx) = Taps(source.Width, width);
        var (y0, y1, fy) = Taps(source.Height, height);
        var src = source.Pixels;
        var sw = source.Width;
        var plane = width * height;
        for (var y = 0; y < height; y++)
        {
            var rowA = y0[y] * sw;
            var rowB = y1[y] * sw;
            var wy = fy[y];
            for (var x = 0; x < width; x++)
            {
                var wx = fx[x];
                var a = (rowA + x0[x]) * 3;
                var b = (rowA + x1[x]) * 3;
                var c = (rowB + x0[x]) * 3;
                var d = (rowB + x1[x]) * 3;
                var o = (y * width) + x;
                for (var ch = 0; ch < 3; ch++)
                {
                    var top = src[a + ch] + ((src[b + ch] - src[a + ch]) * wx);
                    var bottom = src[c + ch] + ((src[d + ch] - src[c + ch]) * wx);
                    destination[(ch * plane) + o] = (top + ((bottom - top) * wy)) * scale;
                }
            }
        }
    }

    /// <summary>Nearest-neighbour resize of a gray image or mask; values are copied, never blended.</summary>
    public static GrayImage Nearest(GrayImage source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var result = new GrayImage(width, height);
        var xs = new int[width];
        for (var x = 0; x < width; x++)
        {
            xs[x] = NearestSource(x, source.Width, width);
        }

        for (var y = 0; y < height; y++)
        {
            var sy = NearestSource(y, source.Height, height);
            for (var x = 0; x < width; x++)
            {
                result.Pixels[(y * width) + x] = source.Pixels[(sy * source.Width) + xs[x]];
            }
        }

        return result;
    }

    /// <summary>The source index sampled for output index <paramref name="dst"/>: <c>floor((dst + 0.5) * srcSize / dstSize)</c>, in integers.</summary>
    public static int NearestSource(int dst, int srcSize, int dstSize) =>
        (int)Math.Min(srcSize - 1, (((2L * dst) + 1) * srcSize) / (2L * dstSize));

    private static (int[] I0, int[] I1, float[] F) Taps(int srcSize, int dstSize)
    {
        var i0 = new int[dstSize];
        var i1 = new int[dstSize];
        var f = new float[dstSize];
        var ratio = (double)srcSize / dstSize;
        for (var d = 0; d < dstSize; d++)
        {
            var s = Math.Max(0.0, ((d + 0.5) * ratio) - 0.5);
            var lo = Math.Min((int)Math.Floor(s), srcSize - 1);
            i0[d] = lo;
            i1[d] = Math.Min(lo + 1, srcSize - 1);
            f[d] = (float)(s - lo);
        }

        return (i0, i1, f);
    }
}
