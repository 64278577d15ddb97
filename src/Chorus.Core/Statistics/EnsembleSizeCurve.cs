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
/// then mean and std of those R averages per k. At k = n every order gives the full ensemble (std ≈ 0, float summation order only;
/// with the default mean it is exactly the <see cref="Evaluation.EnsembleEvaluator"/>'s ensemble map);
/// k = 1 is a single random member. Cost: R·n aggregations and metric passes per image (about R times a
/// <see cref="Evaluation.EnsembleEvaluator"/> run); images run in parallel. The plain mean uses running sums (O(n) adds per
/// order instead of O(n²)) and scores each distinct subset map once; other aggregators run as described.
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
        ArgumentNullException.ThrowIfNull(rois);
        return ComputeParts(maps, [rois], metrics, aggregator, orders, seed, maxDegreeOfParallelism)[0];
    }

    /// <summary>
    /// The curves of several ROI sets (parts) of the same images from one pass over the member maps: each subset
    /// aggregate is built, checked and prepared (sort order, ranks) once and scored against every part's ROI.
    /// Element p equals <c>Compute(maps, roiSets[p], …)</c> with the same arguments.
    /// </summary>
    /// <param name="maps">maps[member][image].</param>
    /// <param name="roiSets">roiSets[part][image]; null images are skipped for that part.</param>
    /// <param name="metrics">Metrics with distinct names.</param>
    /// <param name="aggregator">Default: mean.</param>
    /// <param name="orders">R, at least 1. Default: 10.</param>
    /// <param name="seed">Seed of the member orders. Default: 0.</param>
    /// <param name="maxDegreeOfParallelism">−1: runtime default.</param>
    public static IReadOnlyList<IReadOnlyDictionary<string, IReadOnlyList<CurvePoint>>> ComputeParts(
        IReadOnlyList<IReadOnlyList<SaliencyMap>> maps,
        IReadOnlyList<IReadOnlyList<SaliencyMap?>> roiSets,
        IReadOnlyList<IExplanationMetric> metrics,
        IEnsembleAggregator? aggregator = null,
        int orders = 10,
        int seed = 0,
        int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(roiSets);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfLessThan(orders, 1);
        aggregator ??= EnsembleAggregator.Mean;
        var n = maps.Count;
        var parts = roiSets.Count;
        if (parts == 0 || roiSets.Any(s => s is null))
        {
            throw new ArgumentException("At least one ROI set is needed, and none may be null.", nameof(roiSets));
        }

        var imageCount = roiSets[0].Count;
        if (roiSets.Any(s => s.Count != imageCount))
        {
            throw new ArgumentException("Every ROI set must list the same images.", nameof(roiSets));
        }

        if (n == 0 || maps.Any(m => m is null || m.Count != imageCount))
        {
            throw new ArgumentException("Every member must list one map per ROI.", nameof(maps));
        }

        var perms = Orders(n, orders, seed);
        var m = metrics.Count;
        var fastMetrics = metrics.Select(q => q as IViewMetric).ToArray();

        // Images visible in at least one part; slot[p][image] = index among part p's visible images, or −1.
        var slot = new int[parts][];
        var visibleCount = new int[parts];
        for (var p = 0; p < parts; p++)
        {
            slot[p] = new int[imageCount];
            for (var i = 0; i < imageCount; i++)
            {
                slot[p][i] = roiSets[p][i] is null ? -1 : visibleCount[p]++;
            }
        }

        var work = Enumerable.Range(0, imageCount).Where(i => roiSets.Any(s => s[i] is not null)).ToArray();

        // scores[part][metric][r * n + (k − 1)][visible image of the part]
        var scores = new double[parts][][][];
        for (var p = 0; p < parts; p++)
        {
            scores[p] = new double[m][][];
            for (var q = 0; q < m; q++)
            {
                scores[p][q] = new double[orders * n][];
                for (var c = 0; c < orders * n; c++)
                {
                    scores[p][q][c] = new double[visibleCount[p]];
                }
            }
        }

        var fastMean = aggregator is EnsembleAggregator { Kind: AggregationKind.Mean, Normalisation: MemberNormalisation.None };
        try
        {
            Parallel.For(0, work.Length, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, () => new Scratch(), (w, _, scratch) =>
            {
                var image = work[w];
                var roiViews = new RoiView?[parts];
                for (var p = 0; p < parts; p++)
                {
                    if (roiSets[p][image] is { } roi)
                    {
                        MetricGuard.CheckFinite(roi, "ROI");
                        roiViews[p] = new RoiView(roi);
                    }
                }

                void Store(double[] entry, int r, int k)
                {
                    for (var p = 0; p < parts; p++)
                    {
                        var s = slot[p][image];
                        if (s < 0)
                        {
                            continue;
                        }

                        for (var q = 0; q < m; q++)
                        {
                            scores[p][q][(r * n) + k - 1][s] = entry[(p * m) + q];
                        }
                    }
                }

                if (fastMean)
                {
                    MeanImage(maps, image, n, perms, roiViews, metrics, fastMetrics, scratch, Store);
                }
                else
                {
                    GenericImage(maps, image, n, perms, roiViews, metrics, fastMetrics, aggregator, Store);
                }

                return scratch;
            }, _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }

        var results = new IReadOnlyDictionary<string, IReadOnlyList<CurvePoint>>[parts];
        for (var p = 0; p < parts; p++)
        {
            results[p] = Summarise(scores[p], metrics, n, orders);
        }

        return results;
    }

    private static int[][] Orders(int n, int orders, int seed)
    {
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

        return perms;
    }

    /// <summary>Every metric against every visible part's ROI: entry[p·m + q] (NaN for parts not visible).</summary>
    private static double[] Score(MapView view, RoiView?[] roiViews, IReadOnlyList<IExplanationMetric> metrics, IViewMetric?[] fastMetrics)
    {
        var m = metrics.Count;
        var entry = new double[roiViews.Length * m];
        for (var p = 0; p < roiViews.Length; p++)
        {
            var roiView = roiViews[p];
            for (var q = 0; q < m; q++)
            {
                entry[(p * m) + q] = roiView is null ? double.NaN
                    : fastMetrics[q] is { } fast ? fast.Compute(view, roiView) : metrics[q].Compute(view.Map, roiView.Roi);
            }
        }

        return entry;
    }

    /// <summary>Any aggregator: aggregate(first k members of each order), as documented.</summary>
    private static void GenericImage(
        IReadOnlyList<IReadOnlyList<SaliencyMap>> maps, int image, int n, int[][] perms, RoiView?[] roiViews,
        IReadOnlyList<IExplanationMetric> metrics, IViewMetric?[] fastMetrics, IEnsembleAggregator aggregator, Action<double[], int, int> store)
    {
        var subset = new List<SaliencyMap>(n);
        for (var r = 0; r < perms.Length; r++)
        {
            subset.Clear();
            for (var k = 1; k <= n; k++)
            {
                subset.Add(maps[perms[r][k - 1]][image]);
                var ens = aggregator.Aggregate(subset);
                foreach (var roiView in roiViews)
                {
                    if (roiView is not null)
                    {
                        MetricGuard.CheckPair(ens, roiView.Roi);
                    }
                }

                store(Score(new MapView(ens), roiViews, metrics, fastMetrics), r, k);
            }
        }
    }

    /// <summary>
    /// The plain mean (<see cref="EnsembleAggregator.Mean"/>) with running sums: for each order, member k is added
    /// to a double sum in order position, and the first-k map is (float)(sum / k), the same arithmetic as
    /// <see cref="EnsembleAggregator.Aggregate"/> on the first k members (sum in list order, one division), so
    /// every map is bit for bit the generic path's — except k = n, which is summed in member index order exactly as
    /// <see cref="Evaluation.EnsembleEvaluator"/> does, so the curve's last point is its Ens-Avg bit for bit
    /// (other orders differ from it by float summation order only). Maps already scored for the same member
    /// subset and bit-identical (e.g. k = 1, or exact sums) reuse those scores instead of being sorted and scored again.
    /// </summary>
    private static void MeanImage(
        IReadOnlyList<IReadOnlyList<SaliencyMap>> maps, int image, int n, int[][] perms, RoiView?[] roiViews,
        IReadOnlyList<IExplanationMetric> metrics, IViewMetric?[] fastMetrics, Scratch scratch, Action<double[], int, int> store)
    {
        var first = maps[0][image] ?? throw new ArgumentException("Member 0 is null.", nameof(maps));
        for (var j = 0; j < n; j++)
        {
            var member = maps[j][image] ?? throw new ArgumentException($"Member {j} is null.", nameof(maps));
            if (member.Height != first.Height || member.Width != first.Width)
            {
                throw new ArgumentException(
                    $"Member {j} is {member.Height}×{member.Width} but member 0 is {first.Height}×{first.Width}; all members must be the same size.",
                    nameof(maps));
            }

            MetricGuard.CheckFinite(member, $"member {j}");
            foreach (var roiView in roiViews)
            {
                if (roiView is not null && (roiView.Roi.Height != member.Height || roiView.Roi.Width != member.Width))
                {
                    MetricGuard.CheckPair(member, roiView.Roi); // throws the size message
                }
            }
        }

        var len = first.Values.Length;
        var sum = scratch.Sum(len);
        var cache = scratch.Cache;
        cache.Clear();
        var useCache = n <= 64;

        // k = n in member index order, as EnsembleAggregator.MeanOf sums for the evaluator.
        Array.Clear(sum, 0, len);
        for (var j = 0; j < n; j++)
        {
            Add(sum, maps[j][image].Values);
        }

        var full = new float[len];
        Divide(sum, n, full);
        var fullScores = Score(new MapView(new SaliencyMap(first.Height, first.Width, full), scratch.Views), roiViews, metrics, fastMetrics);

        for (var r = 0; r < perms.Length; r++)
        {
            Array.Clear(sum, 0, len);
            ulong mask = 0;
            for (var k = 1; k <= n; k++)
            {
                var j = perms[r][k - 1];
                Add(sum, maps[j][image].Values);
                mask |= useCache ? 1UL << j : 0;
                if (k == n)
                {
                    store(fullScores, r, k);
                    continue;
                }

                var values = new float[len];
                Divide(sum, k, values);
                if (useCache && cache.TryGetValue(mask, out var hit) && SameBits(hit.Values, values))
                {
                    store(hit.Scores, r, k);
                    continue;
                }

                var entry = Score(new MapView(new SaliencyMap(first.Height, first.Width, values), scratch.Views), roiViews, metrics, fastMetrics);
                if (useCache)
                {
                    cache.TryAdd(mask, (values, entry));
                }

                store(entry, r, k);
            }
        }
    }

    private static void Add(double[] sum, float[] v)
    {
        for (var i = 0; i < v.Length; i++)
        {
            sum[i] += v[i];
        }
    }

    private static void Divide(double[] sum, int k, float[] result)
    {
        var d = (double)k;
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)(sum[i] / d);
        }
    }

    private static bool SameBits(float[] a, float[] b) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(b.AsSpan()));

    private static Dictionary<string, IReadOnlyList<CurvePoint>> Summarise(double[][][] scores, IReadOnlyList<IExplanationMetric> metrics, int n, int orders)
    {
        var result = new Dictionary<string, IReadOnlyList<CurvePoint>>(StringComparer.Ordinal);
        for (var q = 0; q < metrics.Count; q++)
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

    /// <summary>Per-worker buffers reused across images.</summary>
    private sealed class Scratch
    {
        private double[] _sum = [];

        public Dictionary<ulong, (float[] Values, double[] Scores)> Cache { get; } = [];

        /// <summary>Sort order and ranks of the view being scored (each view is scored completely before the next is built).</summary>
        public MapView.Buffers Views { get; } = new();

        public double[] Sum(int length)
        {
            if (_sum.Length != length)
            {
                _sum = new double[length];
            }

            return _sum;
        }
    }
}
