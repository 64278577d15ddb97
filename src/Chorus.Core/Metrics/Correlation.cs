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
        return Pearson(map.Values, roi.Weights);
    }

    internal static double Pearson(float[] a, float[] b) => Pearson<float>(a, b);

    internal static double Pearson(double[] a, double[] b) => Pearson<double>(a, b);

    /// <summary>Pearson r accumulated in double precision; NaN when either side is constant.</summary>
    private static double Pearson<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : System.Numerics.INumberBase<T>
    {
        var n = a.Length;
        double ma = 0, mb = 0;
        for (var i = 0; i < n; i++)
        {
            ma += double.CreateTruncating(a[i]);
            mb += double.CreateTruncating(b[i]);
        }

        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < n; i++)
        {
            var da = double.CreateTruncating(a[i]) - ma;
            var db = double.CreateTruncating(b[i]) - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }

        return saa > 0 && sbb > 0 ? Math.Clamp(sab / Math.Sqrt(saa * sbb), -1.0, 1.0) : double.NaN;
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
        return PearsonCorrelation.Pearson(map.Ranks, roi.Ranks);
    }
}
