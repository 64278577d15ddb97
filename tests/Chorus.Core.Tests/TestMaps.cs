using Chorus.Explanations;

namespace Chorus.Core.Tests;

/// <summary>Hand-made maps for metric tests.</summary>
internal static class TestMaps
{
    /// <summary>A map that is <paramref name="value"/> on the square [y0, y0+size)×[x0, x0+size) and 0 elsewhere.</summary>
    public static SaliencyMap Square(int height, int width, int y0, int x0, int size, float value = 1f)
    {
        var v = new float[height * width];
        for (var y = y0; y < y0 + size; y++)
        {
            for (var x = x0; x < x0 + size; x++)
            {
                v[(y * width) + x] = value;
            }
        }

        return new SaliencyMap(height, width, v);
    }

    /// <summary>A 1×N map.</summary>
    public static SaliencyMap Row(params float[] values) => new(1, values.Length, values);

    public static SaliencyMap Constant(int height, int width, float value) =>
        new(height, width, Enumerable.Repeat(value, height * width).ToArray());

    public static SaliencyMap Map(int height, int width, Func<int, int, float> f)
    {
        var v = new float[height * width];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                v[(y * width) + x] = f(y, x);
            }
        }

        return new SaliencyMap(height, width, v);
    }

    /// <summary>ROI plus Gaussian noise of standard deviation <paramref name="sigma"/> (Box–Muller, seeded).</summary>
    public static SaliencyMap Noisy(SaliencyMap roi, double sigma, Random rng)
    {
        var v = new float[roi.Values.Length];
        for (var i = 0; i < v.Length; i++)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            var z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            v[i] = (float)(roi.Values[i] + (sigma * z));
        }

        return new SaliencyMap(roi.Height, roi.Width, v);
    }
}
