namespace Chorus.Data.Regions;

/// <summary>
/// Rasterises regions given in source-image coordinates onto an output grid: each output pixel (u, v) covers
/// [u, u+1) × [v, v+1) and is tested at its centre (u + 0.5, v + 0.5), mapped back to the source image.
/// </summary>
internal static class RegionRaster
{
    /// <summary>Sets to 1 every output pixel whose centre, mapped back by the resize factors, satisfies <paramref name="inside"/>.</summary>
    public static void Fill(float[] values, int width, int height, int sourceWidth, int sourceHeight, Func<double, double, bool> inside) =>
        Paint(values, width, height, Scale(width, height, sourceWidth, sourceHeight), Indicator(inside));

    /// <summary>Sets to 1 every output pixel whose centre, mapped back by <paramref name="toSource"/>, satisfies <paramref name="inside"/>.</summary>
    public static void Fill(float[] values, int width, int height, Func<double, double, (double X, double Y)> toSource, Func<double, double, bool> inside) =>
        Paint(values, width, height, toSource, Indicator(inside));

    /// <summary>Raises every output pixel to <paramref name="value"/> at its centre, mapped back by the resize factors (union = max).</summary>
    public static void Paint(float[] values, int width, int height, int sourceWidth, int sourceHeight, Func<double, double, float> value) =>
        Paint(values, width, height, Scale(width, height, sourceWidth, sourceHeight), value);

    /// <summary>Raises every output pixel to <paramref name="value"/> at its centre, mapped back by <paramref name="toSource"/> (union = max).</summary>
    public static void Paint(float[] values, int width, int height, Func<double, double, (double X, double Y)> toSource, Func<double, double, float> value)
    {
        for (var v = 0; v < height; v++)
        {
            for (var u = 0; u < width; u++)
            {
                var (x, y) = toSource(u + 0.5, v + 0.5);
                var i = (v * width) + u;
                values[i] = Math.Max(values[i], value(x, y));
            }
        }
    }

    private static Func<double, double, (double X, double Y)> Scale(int width, int height, int sourceWidth, int sourceHeight)
    {
        var sx = (double)sourceWidth / width;
        var sy = (double)sourceHeight / height;
        return (u, v) => (u * sx, v * sy);
    }

    private static Func<double, double, float> Indicator(Func<double, double, bool> inside) => (x, y) => inside(x, y) ? 1f : 0f;
}
