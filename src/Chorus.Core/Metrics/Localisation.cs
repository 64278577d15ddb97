using Chorus.Explanations;

namespace Chorus.Metrics;

/// <summary>
/// Pointing game (Zhang et al. 2018; Quantus <c>PointingGame</c>): 1 if the map's maximum lies in the ROI
/// (weight ≥ 0.5), else 0. Raw values, no normalisation. Ties for the maximum: the fraction of maximal pixels
/// inside the ROI (the expected hit when one of them is picked at random), so a constant map scores the ROI's
/// share of the image rather than a free hit. NaN when the ROI is empty. Higher is better.
/// </summary>
public sealed class PointingGame : IExplanationMetric, IViewMetric
{
    /// <inheritdoc />
    public string Name => "pointing_game";

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
        if (roi.Area == 0)
        {
            return double.NaN;
        }

        var v = map.Values;
        var max = map.Max;

        int atMax = 0, hits = 0;
        for (var i = 0; i < v.Length; i++)
        {
            if (v[i] == max)
            {
                atMax++;
                if (r[i])
                {
                    hits++;
                }
            }
        }

        return (double)hits / atMax;
    }
}

/// <summary>
/// Relevance mass accuracy (Arras et al. 2022; Quantus <c>RelevanceMassAccuracy</c>):
/// Σᵢ max(aᵢ,0)·sᵢ / Σᵢ max(aᵢ,0), the share of positive relevance that falls in the ROI, with sᵢ the ROI
/// weight (so soft masks count fractionally). In [0, 1]; higher is better. NaN when the map has no positive
/// relevance.
/// </summary>
public sealed class RelevanceMassAccuracy : IExplanationMetric, IViewMetric
{
    /// <inheritdoc />
    public string Name => "relevance_mass";

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
        var v = map.Values;
        var s = roi.Weights;
        double inside = 0, total = 0;
        for (var i = 0; i < v.Length; i++)
        {
            // Branch-free (noisy maps make the sign unpredictable): a non-positive value adds exactly 0.
            var a = Math.Max(v[i], 0f);
            total += a;
            inside += a * (double)Math.Max(s[i], 0f);
        }

        return total > 0 ? inside / total : double.NaN;
    }
}

/// <summary>
/// Relevance rank accuracy (Arras et al. 2022; Quantus <c>RelevanceRankAccuracy</c>): with K = |ROI| (pixels
/// with weight ≥ 0.5), the fraction of the K highest-valued pixels that lie in the ROI. Ties at the K-th value are
/// resolved exactly in expectation (see remarks), so a constant map scores K/N. In [0, 1]; higher is better.
/// NaN when the ROI is empty.
/// </summary>
/// <remarks>Quantus breaks ties by <c>argsort</c> order; we use the expectation over random tie-breaking instead.</remarks>
public sealed class RelevanceRankAccuracy : IExplanationMetric, IViewMetric
{
    /// <inheritdoc />
    public string Name => "relevance_rank";

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
        var area = roi.Area;
        return area == 0 ? double.NaN : Ranking.ExpectedHitsInTopK(map.Values, map.Descending, roi.Mask, area) / area;
    }
}

/// <summary>
/// Top-k intersection (Theiner et al. 2021; Quantus <c>TopKIntersection</c>): the fraction of the k highest-valued
/// pixels that lie in the ROI, for a fixed k independent of the ROI (unlike <see cref="RelevanceRankAccuracy"/>).
/// k = <see cref="K"/> if given, else round(<see cref="Fraction"/> · H·W), at least 1 (default 10 % of the pixels).
/// Ties at the k-th value: exact expectation as in <see cref="RelevanceRankAccuracy"/>. In [0, 1]; higher is
/// better. NaN when the ROI is empty.
/// </summary>
public sealed class TopKIntersection : IExplanationMetric, IViewMetric
{
    /// <param name="fraction">k as a share of all pixels, in (0, 1]. Default: 0.1.</param>
    /// <param name="k">Absolute k; overrides <paramref name="fraction"/> when set.</param>
    public TopKIntersection(double fraction = 0.1, int? k = null)
    {
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Must lie in (0, 1].");
        }

        if (k is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "Must be at least 1.");
        }

        Fraction = fraction;
        K = k;
    }

    public double Fraction { get; }

    public int? K { get; }

    /// <inheritdoc />
    public string Name => "topk_intersection";

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
        if (roi.Area == 0)
        {
            return double.NaN;
        }

        var n = map.Values.Length;
        var k = Math.Min(n, K ?? Math.Max(1, (int)Math.Round(Fraction * n, MidpointRounding.AwayFromZero)));
        return Ranking.ExpectedHitsInTopK(map.Values, map.Descending, roi.Mask, k) / k;
    }
}

/// <summary>
/// ROC AUC of the map values as scores for the ROI labels (weight ≥ 0.5 → positive), as Quantus <c>AUC</c>
/// (sklearn <c>roc_curve</c> + <c>auc</c>). Computed exactly via Mann–Whitney:
/// AUC = (Σ_{i∈ROI} rankᵢ − P(P+1)/2) / (P·N), average ranks for ties, which equals the trapezoidal ROC area with
/// tied scores; a constant map gives 0.5. Raw values. In [0, 1]; higher is better. NaN when the ROI is empty or
/// covers the whole image.
/// </summary>
public sealed class RocAuc : IExplanationMetric, IViewMetric
{
    /// <inheritdoc />
    public string Name => "auc";

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
        var pos = roi.Area;
        var neg = r.Length - pos;
        if (pos == 0 || neg == 0)
        {
            return double.NaN;
        }

        var ranks = map.Ranks;
        double sum = 0;
        for (var i = 0; i < r.Length; i++)
        {
            if (r[i])
            {
                sum += ranks[i];
            }
        }

        return (sum - (pos * (pos + 1.0) / 2)) / ((double)pos * neg);
    }
}
