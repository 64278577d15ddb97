using Chorus.Explanations;

namespace Chorus.Metrics;

/// <summary>
/// Pearson correlation between the map's values and the ROI weights over all H·W pixels.
/// r = Σ(aᵢ−ā)(sᵢ−s̄) / √(Σ(aᵢ−ā)² · Σ(sᵢ−s̄)²), in [−1, 1]; higher is better.
/// NaN when either map is constant (zero variance). Scale- and shift-invariant, so no normalisation is applied.
/// </summary>
public sealed class PearsonCorrelation : IExplanationMetric, IViewMetric
{
    /// <inheritdoc />
    public string Name => "pearson";

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
        return Pearson<float>(map.Values, map.ValueMoments, roi.Weights, roi.WeightMoments);
    }

    internal static double Pearson(float[] a, float[] b) => Pearson(a, Moments<float>(a), b, Moments<float>(b));

    internal static double Pearson(double[] a, double[] b) => Pearson(a, Moments<double>(a), b, Moments<double>(b));

    /// <summary>Mean and Σ(xᵢ − x̄)² in double precision (cached per map by the views, shared by every ROI).</summary>
    internal static (double Mean, double SumSq) Moments<T>(ReadOnlySpan<T> a)
        where T : System.Numerics.INumberBase<T>
    {
        var n = a.Length;
        double mean = 0;
        for (var i = 0; i < n; i++)
        {
            mean += double.CreateTruncating(a[i]);
        }

        mean /= n;
        double ss = 0;
        for (var i = 0; i < n; i++)
        {
            var d = double.CreateTruncating(a[i]) - mean;
            ss += d * d;
        }

        return (mean, ss);
    }

    /// <summary>Pearson r from each side's <see cref="Moments"/>; NaN when either side is constant.</summary>
    internal static double Pearson<T>(ReadOnlySpan<T> a, (double Mean, double SumSq) ma, ReadOnlySpan<T> b, (double Mean, double SumSq) mb)
        where T : System.Numerics.INumberBase<T>
    {
        if (!(ma.SumSq > 0 && mb.SumSq > 0))
        {
            return double.NaN;
        }

        double sab = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (double.CreateTruncating(a[i]) - ma.Mean) * (double.CreateTruncating(b[i]) - mb.Mean);
        }

        return Math.Clamp(sab / Math.Sqrt(ma.SumSq * mb.SumSq), -1.0, 1.0);
    }
}

/// <summary>
/// Spearman rank correlation: the Pearson correlation of the average ranks (ties share the mean of their
/// ranks) of the map values and of the ROI weights, over all pixels. In [−1, 1]; higher is better; NaN when
/// either map is constant.
/// </summary>
public sealed class SpearmanCorrelation : IExplanationMetric, IViewMetric
{
    /// <inheritdoc />
    public string Name => "spearman";

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
        return PearsonCorrelation.Pearson<double>(map.Ranks, map.RankMoments, roi.Ranks, roi.RankMoments);
    }
}
