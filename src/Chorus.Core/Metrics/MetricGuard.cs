using Chorus.Explanations;

namespace Chorus.Metrics;

/// <summary>Input checks shared by all metrics.</summary>
public static class MetricGuard
{
    /// <summary>ROI weight at or above which a pixel counts as inside the region for set-based metrics.</summary>
    public const float RoiThreshold = 0.5f;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> if the two maps differ in size or either holds NaN/±∞.
    /// </summary>
    public static void CheckPair(SaliencyMap map, SaliencyMap roi)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(roi);
        if (map.Height != roi.Height || map.Width != roi.Width)
        {
            throw new ArgumentException(
                $"Map is {map.Height}×{map.Width} but the ROI is {roi.Height}×{roi.Width}; they must be the same size.",
                nameof(roi));
        }

        CheckFinite(map, nameof(map));
        CheckFinite(roi, nameof(roi));
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first NaN/±∞ pixel of <paramref name="map"/>.</summary>
    public static void CheckFinite(SaliencyMap map, string paramName)
    {
        ArgumentNullException.ThrowIfNull(map);
        var v = map.Values;
        if (AllFinite(v))
        {
            return;
        }

        for (var i = 0; i < v.Length; i++)
        {
            if (!float.IsFinite(v[i]))
            {
                throw new ArgumentException(
                    $"The {paramName} holds a non-finite value ({v[i]}) at (y={i / map.Width}, x={i % map.Width}); NaN/∞ are not valid relevance.",
                    paramName);
            }
        }
    }

    /// <summary>Vectorised fast path: x·0 is 0 for finite x and NaN for NaN/±∞, so the sum stays 0 iff all are finite.</summary>
    private static bool AllFinite(float[] v)
    {
        var acc = System.Numerics.Vector<float>.Zero;
        var width = System.Numerics.Vector<float>.Count;
        var i = 0;
        for (; i <= v.Length - width; i += width)
        {
            acc += new System.Numerics.Vector<float>(v, i) * System.Numerics.Vector<float>.Zero;
        }

        var tail = 0f;
        for (; i < v.Length; i++)
        {
            tail += v[i] * 0f;
        }

        return System.Numerics.Vector.Sum(acc) == 0f && tail == 0f;
    }

    /// <summary>The ROI as a boolean pixel set (weight ≥ <see cref="RoiThreshold"/>) and its size.</summary>
    internal static bool[] RoiMask(SaliencyMap roi, out int count)
    {
        var v = roi.Values;
        var mask = new bool[v.Length];
        count = 0;
        for (var i = 0; i < v.Length; i++)
        {
            if (v[i] >= RoiThreshold)
            {
                mask[i] = true;
                count++;
            }
        }

        return mask;
    }
}
