namespace Chorus.Data.Regions;

/// <summary>
/// Rasterises regions given in source-image coordinates onto an output grid: each output pixel is tested at its
/// centre, mapped back to the source by the resize factors (pixel (u, v) covers [u, u+1) × [v, v+1)).
/// </summary>
internal static class RegionRaster
{
    /// <summary>Sets to 1 every output pixel whose centre, mapped back to the source image, satisfies <paramref name="inside"/>.</summary>
    public static void Fill(float[] values, int width, int height, int sourceWidth, int sourceHeight, Func<double, double, bool> inside) =>
        Paint(values, width, height, sourceWidth, sourceHeight, (x, y) => inside(x, y) ? 1f : 0f);

    /// <summary>Raises every output pixel to <paramref name="value"/> at its centre, mapped back to the source image (union = max).</summary>
    public static void Paint(float[] values, int width, int height, int sourceWidth, int sourceHeight, Func<double, double, float> value)
    {
        var sx = (double)sourceWidth / width;
        var sy = (double)sourceHeight / height;
        for (var v = 0; v < height; v++)
        {
            var y = (v + 0.5) * sy;
            for (var u = 0; u < width; u++)
            {
                var i = (v * width) + u;
                values[i] = Math.Max(values[i], value((u + 0.5) * sx, y));
            }
        }
    }
}
