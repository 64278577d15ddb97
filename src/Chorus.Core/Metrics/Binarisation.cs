using Chorus.Explanations;

namespace Chorus.Metrics;

/// <summary>How a saliency map becomes a pixel set before IoU.</summary>
public enum BinarisationRule
{
    /// <summary>Min–max scale to [0, 1], keep pixels ≥ t (default t = 0.5). A constant map keeps no pixel.</summary>
    FixedThreshold,

    /// <summary>Otsu's threshold (256-bin histogram over [min, max]); keep pixels strictly above it.</summary>
    Otsu,

    /// <summary>Keep the k highest pixels, k = |ROI| (pixels with weight ≥ 0.5); ties broken by pixel index.</summary>
    TopKRoiArea,
}

/// <summary>Thresholding helpers.</summary>
public static class Binarisation
{
    /// <summary>Number of histogram bins Otsu uses.</summary>
    public const int OtsuBins = 256;

    /// <summary>
    /// Otsu's threshold of <paramref name="values"/>, in the values' own units: the histogram (256 equal bins over
    /// [min, max]) is split at the bin edge that maximises the between-class variance ω₀ω₁(μ₀−μ₁)²; the
    /// returned value lies midway between the largest value of the lower class and the smallest of the upper
    /// class, so "x &gt; threshold" is exactly the upper class. Ties in the criterion pick the
    /// first (lowest) edge. A constant input returns its value (nothing lies above it).
    /// </summary>
    public static double OtsuThreshold(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("Otsu needs at least one value.", nameof(values));
        }

        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (float.IsNaN(v))
            {
                throw new ArgumentException("Otsu input holds NaN.", nameof(values));
            }

            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return OtsuThreshold(values, min, max);
    }

    internal static double OtsuThreshold(ReadOnlySpan<float> values, float min, float max)
    {
        if (!(max > min))
        {
            return max;
        }

        // Bin of each value, kept for the final pass; scale = bins / range (multiplication, not division, per value).
        var bins = new byte[values.Length];
        var hist = new int[OtsuBins];
        var scale = OtsuBins / ((double)max - min);
        for (var i = 0; i < values.Length; i++)
        {
            var b = Math.Min((int)((values[i] - (double)min) * scale), OtsuBins - 1);
            bins[i] = (byte)b;
            hist[b]++;
        }

        double total = values.Length;
        double sumAll = 0;
        for (var b = 0; b < OtsuBins; b++)
        {
            sumAll += b * (double)hist[b];
        }

        double w0 = 0, sum0 = 0, best = -1;
        var bestEdge = 1;
        for (var t = 1; t < OtsuBins; t++) // class 0 = bins [0, t), class 1 = bins [t, 256)
        {
            w0 += hist[t - 1];
            sum0 += (t - 1) * (double)hist[t - 1];
            var w1 = total - w0;
            if (w0 == 0 || w1 == 0)
            {
                continue;
            }

            var mu0 = sum0 / w0;
            var mu1 = (sumAll - sum0) / w1;
            var between = w0 * w1 * (mu0 - mu1) * (mu0 - mu1);
            if (between > best)
            {
                best = between;
                bestEdge = t;
            }
        }

        // Report the split in value units: midway between the largest value below the edge and the smallest at or
        // above it, so "x > threshold" reproduces the histogram split exactly and lies strictly between the classes.
        float lowTop = float.NegativeInfinity, highBottom = float.PositiveInfinity;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (bins[i] < bestEdge)
            {
                lowTop = v > lowTop ? v : lowTop;
            }
            else
            {
                highBottom = v < highBottom ? v : highBottom;
            }
        }

        return (lowTop + (double)highBottom) / 2;
    }

    /// <summary>Applies <paramref name="rule"/> to <paramref name="map"/>; <paramref name="k"/> is used by top-k only.</summary>
    public static bool[] Binarise(SaliencyMap map, BinarisationRule rule, double threshold = 0.5, int k = 0)
    {
        ArgumentNullException.ThrowIfNull(map);
        MetricGuard.CheckFinite(map, nameof(map));
        return Binarise(new MapView(map), rule, threshold, k);
    }

    internal static bool[] Binarise(MapView map, BinarisationRule rule, double threshold, int k)
    {
        var v = map.Values;
        var result = new bool[v.Length];
        switch (rule)
        {
            case BinarisationRule.FixedThreshold:
                {
                    float min = map.Min, max = map.Max;
                    if (!(max > min))
                    {
                        return result; // constant map: nothing stands out
                    }

                    var cut = threshold * ((double)max - min);
                    for (var i = 0; i < v.Length; i++)
                    {
                        result[i] = v[i] - (double)min >= cut; // (x − min)/(max − min) ≥ t
                    }

                    return result;
                }

            case BinarisationRule.Otsu:
                {
                    var t = OtsuThreshold(v, map.Min, map.Max);
                    for (var i = 0; i < v.Length; i++)
                    {
                        result[i] = v[i] > t;
                    }

                    return result;
                }

            case BinarisationRule.TopKRoiArea:
                {
                    var order = map.Descending;
                    for (var i = 0; i < Math.Min(k, v.Length); i++)
                    {
                        result[order[i]] = true;
                    }

                    return result;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown binarisation rule.");
        }
    }
}

/// <summary>
/// Intersection over union |B ∩ R| / |B ∪ R| of the binarised map B (<see cref="BinarisationRule"/>) and the ROI
/// pixel set R (weight ≥ 0.5). In [0, 1]; higher is better. NaN when B ∪ R is empty (empty ROI and empty B).
/// Names: <c>iou</c> (min–max + t = 0.5), <c>iou_t{t}</c> for other thresholds, <c>iou_otsu</c>, <c>iou_topk</c>.
/// </summary>
public sealed class IntersectionOverUnion : IExplanationMetric, IViewMetric
{
    /// <param name="rule">Binarisation. Default: fixed threshold.</param>
    /// <param name="threshold">t for <see cref="BinarisationRule.FixedThreshold"/>, in [0, 1]. Default: 0.5.</param>
    public IntersectionOverUnion(BinarisationRule rule = BinarisationRule.FixedThreshold, double threshold = 0.5)
    {
        if (!(threshold >= 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold applies to a min–max scaled map and must lie in [0, 1].");
        }

        Rule = rule;
        Threshold = threshold;
    }

    public BinarisationRule Rule { get; }

    public double Threshold { get; }

    /// <inheritdoc />
    public string Name => Rule switch
    {
        BinarisationRule.Otsu => "iou_otsu",
        BinarisationRule.TopKRoiArea => "iou_topk",
        _ => Threshold == 0.5 ? "iou" : FormattableString.Invariant($"iou_t{Threshold}"),
    };

    /// <inheritdoc />
    public bool HigherIsBetter => true;

    /// <inheritdoc />
    public double Compute(SaliencyMap map, SaliencyMap roi)
    {
        MetricGuard.CheckPair(map, roi);
        return ((IViewMetric)this).Compute(new MapView(map), new RoiView(roi));
    }

    double IViewMetric.Compute(MapView map, RoiView roi)
    {
        var r = roi.Mask;
        if (Rule == BinarisationRule.FixedThreshold)
        {
            return FixedThresholdIou(map, r);
        }

        var b = Binarisation.Binarise(map, Rule, Threshold, roi.Area);
        int inter = 0, union = 0;
        for (var i = 0; i < r.Length; i++)
        {
            if (r[i] && b[i])
            {
                inter++;
            }

            if (r[i] || b[i])
            {
                union++;
            }
        }

        return union == 0 ? double.NaN : (double)inter / union;
    }

    /// <summary>The default path fused into one pass: same rule as <see cref="Binarisation.Binarise(SaliencyMap, BinarisationRule, double, int)"/>.</summary>
    private double FixedThresholdIou(MapView map, bool[] r)
    {
        var v = map.Values;
        float min = map.Min, max = map.Max;
        var constant = !(max > min);
        var cut = Threshold * ((double)max - min); // (x − min)/(max − min) ≥ t, without a division per pixel
        int inter = 0, union = 0;
        for (var i = 0; i < v.Length; i++)
        {
            var b = !constant & (v[i] - (double)min >= cut);
            inter += b & r[i] ? 1 : 0; // branch-free: on noisy maps these branches are unpredictable
            union += b | r[i] ? 1 : 0;
        }

        return union == 0 ? double.NaN : (double)inter / union;
    }
}
