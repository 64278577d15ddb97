using Chorus.Ensembles;
using Chorus.Explanations;
using Chorus.Metrics;

namespace Chorus.Statistics;

/// <summary>One point of an ensemble-size curve.</summary>
/// <param name="K">Number of members averaged.</param>
/// <param name="Mean">Mean over member orders of the image-averaged metric.</param>
/// <param name="Std">Sample standard deviation over orders (n − 1); NaN with a single order.</param>
/// <param name="Orders">Orders with a defined value at this k.</param>
public sealed record CurvePoint(int K, double Mean, double Std, int Orders);

/// <summary>
/// The ensemble-size curve: for R random member orders (order r is a Fisher–Yates shuffle drawn from one
/// System.Random seeded with <c>seed</c>, so the curve is deterministic), and for k = 1..n, the metric of
/// aggregate(first k members of the order) against the ROI, averaged over visible images (NaN values skipped);
/// then mean and std of those R averages per k. At k = n every order gives the full ensemble (std ≈ 0, float summation order only);
/// k = 1 is a single random member. Cost: R·n aggregations and metric passes per image (about R times a
/// <see cref="Evaluation.EnsembleEvaluator"/> run); images run in parallel.
/// </summary>
public static class EnsembleSizeCurve
{
    /// <summary>Computes one curve per metric, keyed by metric name.</summary>
    /// <param name="maps">maps[member][image], as for <see cref="Evaluation.EnsembleEvaluator.Evaluate"/>.</param>
    /// <param name="rois">roi[image]; null images are skipped.</param>
    /// <param name="metrics">Metrics with distinct names.</param>
    /// <param name="aggregator">Default: mean.</param>
    /// <param name="orders">R, at least 1. Default: 10.</param>
    /// <param name="seed">Seed of the member orders. Default: 0.</param>
    /// <param name="maxDegreeOfParallelism">−1: runtime default.</param>
    public static IReadOnlyDictionary<string, IReadOnlyList<CurvePoint>> Compute(
        IReadOnlyList<IReadOnlyList<SaliencyMap>> maps,
        IReadOnlyList<SaliencyMap?> rois,
        IReadOnlyList<IExplanationMetric> metrics,
        IEnsembleAggregator? aggregator = null,
        int orders = 10,
        int seed = 0,
        int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(rois);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfLessThan(orders, 1);
        aggregator ??= EnsembleAggregator.Mean;
        var n = maps.Count;
        if (n == 0 || maps.Any(m => m is null || m.Count != rois.Count))
        {
            throw new ArgumentException("Every member must list one map per ROI.", nameof(maps));
        }

        var rng = new Random(seed);
        var perms = new int[orders][];
        for (var r = 0; r < orders; r++)
        {
            var p = Enumerable.Range(0, n).ToArray();
            for (var i = n - 1; i > 0; i--)
            {
                var j = rng.Next(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }

            perms[r] = p;
        }

        var visible = Enumerable.Range(0, rois.Count).Where(i => rois[i] is not null).ToArray();
        var m = metrics.Count;

        // scores[metric][r * n + (k − 1)][v]
        var scores = new double[m][][];
        for (var q = 0; q < m; q++)
        {
            scores[q] = new double[orders * n][];
            for (var c = 0; c < orders * n; c++)
            {
                scores[q][c] = new double[visible.Length];
            }
        }

        try
        {
            Parallel.For(0, visible.Length, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, v =>
            {
                var image = visible[v];
                var roi = rois[image]!;
                MetricGuard.CheckFinite(roi, "ROI");
                var roiView = new RoiView(roi);
                var subset = new List<SaliencyMap>(n);
                for (var r = 0; r < orders; r++)
                {
                    subset.Clear();
                    for (var k = 1; k <= n; k++)
                    {
                        subset.Add(maps[perms[r][k - 1]][image]);
                        var ens = aggregator.Aggregate(subset);
                        MetricGuard.CheckPair(ens, roi);
                        var view = new MapView(ens);
                        for (var q = 0; q < m; q++)
                        {
                            scores[q][(r * n) + k - 1][v] = metrics[q] is IViewMetric fast ? fast.Compute(view, roiView) : metrics[q].Compute(ens, roi);
                        }
                    }
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }

        var result = new Dictionary<string, IReadOnlyList<CurvePoint>>(StringComparer.Ordinal);
        for (var q = 0; q < m; q++)
        {
            var points = new CurvePoint[n];
            for (var k = 1; k <= n; k++)
            {
                var perOrder = new List<double>(orders);
                for (var r = 0; r < orders; r++)
                {
                    var mean = MeanFinite(scores[q][(r * n) + k - 1]);
                    if (double.IsFinite(mean))
                    {
                        perOrder.Add(mean);
                    }
                }

                var mu = perOrder.Count > 0 ? perOrder.Average() : double.NaN;
                var sd = perOrder.Count > 1 ? Math.Sqrt(perOrder.Sum(x => (x - mu) * (x - mu)) / (perOrder.Count - 1)) : double.NaN;
                points[k - 1] = new CurvePoint(k, mu, sd, perOrder.Count);
            }

            result.Add(metrics[q].Name, points);
        }

        return result;
    }

    private static double MeanFinite(double[] values)
    {
        double sum = 0;
        var count = 0;
        foreach (var x in values)
        {
            if (double.IsFinite(x))
            {
                sum += x;
                count++;
            }
        }

        return count > 0 ? sum / count : double.NaN;
    }
}
