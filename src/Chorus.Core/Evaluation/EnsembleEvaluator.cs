using System.Runtime.ExceptionServices;
using Chorus.Ensembles;
using Chorus.Explanations;
using Chorus.Metrics;

namespace Chorus.Evaluation;

/// <summary>
/// Ens-Avg versus Exp-Avg for one attribution method and one part. For each image with a ROI:
/// ens = metric(aggregate(maps[0..n−1][image]), roi) and exp = mean_j metric(maps[j][image], roi), where members
/// scoring NaN are skipped and counted. Images run in parallel; metrics and aggregators must be thread-safe
/// (all built-in ones are).
/// </summary>
public sealed class EnsembleEvaluator
{
    private readonly IExplanationMetric[] _metrics;
    private readonly IEnsembleAggregator _aggregator;
    private readonly int _maxDegreeOfParallelism;

    /// <param name="metrics">Metrics to compute; names must be distinct.</param>
    /// <param name="aggregator">How members are combined. Default: <see cref="EnsembleAggregator.Mean"/>.</param>
    /// <param name="maxDegreeOfParallelism">Worker limit; −1 (default) lets the runtime decide, 1 runs serially.</param>
    public EnsembleEvaluator(IReadOnlyList<IExplanationMetric> metrics, IEnsembleAggregator? aggregator = null, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            throw new ArgumentException("At least one metric is needed.", nameof(metrics));
        }

        var dup = metrics.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
        {
            throw new ArgumentException($"Metric name '{dup.Key}' appears more than once.", nameof(metrics));
        }

        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use −1 or a positive number.");
        }

        _metrics = [.. metrics];
        _aggregator = aggregator ?? EnsembleAggregator.Mean;
        _maxDegreeOfParallelism = maxDegreeOfParallelism;
    }

    /// <summary>The metrics, in result order.</summary>
    public IReadOnlyList<IExplanationMetric> Metrics => _metrics;

    /// <summary>The aggregator used for Ens-Avg.</summary>
    public IEnsembleAggregator Aggregator => _aggregator;

    /// <summary>Evaluates every image.</summary>
    /// <param name="maps">maps[member][image]; every member lists the same images in the same order.</param>
    /// <param name="rois">roi[image]; null means the part is not visible: the image is excluded and counted.</param>
    /// <param name="imageIds">Optional ids, one per image (default: the index).</param>
    /// <exception cref="ArgumentException">Shape problems, or a map/ROI with NaN (the message names image and member).</exception>
    public EvaluationResult Evaluate(IReadOnlyList<IReadOnlyList<SaliencyMap>> maps, IReadOnlyList<SaliencyMap?> rois, IReadOnlyList<string>? imageIds = null)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(rois);
        var members = maps.Count;
        if (members == 0)
        {
            throw new ArgumentException("At least one member is needed.", nameof(maps));
        }

        var images = rois.Count;
        for (var j = 0; j < members; j++)
        {
            if (maps[j] is null || maps[j].Count != images)
            {
                throw new ArgumentException($"Member {j} has {maps[j]?.Count ?? 0} maps but there are {images} ROIs; every member must cover the same images.", nameof(maps));
            }
        }

        if (imageIds is not null && imageIds.Count != images)
        {
            throw new ArgumentException($"{imageIds.Count} image ids for {images} images.", nameof(imageIds));
        }

        var visible = Enumerable.Range(0, images).Where(i => rois[i] is not null).ToArray();
        var m = _metrics.Length;
        var ens = new double[m][];
        var exp = new double[m][];
        var skipped = new int[m][];
        for (var k = 0; k < m; k++)
        {
            ens[k] = new double[visible.Length];
            exp[k] = new double[visible.Length];
            skipped[k] = new int[visible.Length];
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = _maxDegreeOfParallelism };
        try
        {
            Parallel.For(0, visible.Length, options, () => new SaliencyMap[members], (v, _, column) =>
            {
                var image = visible[v];
                var roi = rois[image]!;
                for (var j = 0; j < members; j++)
                {
                    column[j] = maps[j][image];
                }

                try
                {
                    MetricGuard.CheckFinite(roi, "ROI");
                    var views = new MapView[members];
                    for (var j = 0; j < members; j++)
                    {
                        MetricGuard.CheckPair(column[j], roi);
                        views[j] = new MapView(column[j]);
                    }

                    var ensMap = _aggregator.Aggregate(column);
                    MetricGuard.CheckPair(ensMap, roi);
                    var ensView = new MapView(ensMap);
                    var roiView = new RoiView(roi);
                    for (var k = 0; k < m; k++)
                    {
                        var metric = _metrics[k];
                        ens[k][v] = Score(metric, ensView, roiView);
                        double sum = 0;
                        var used = 0;
                        for (var j = 0; j < members; j++)
                        {
                            var s = Score(metric, views[j], roiView);
                            if (double.IsNaN(s))
                            {
                                continue;
                            }

                            sum += s;
                            used++;
                        }

                        exp[k][v] = used > 0 ? sum / used : double.NaN;
                        skipped[k][v] = members - used;
                    }
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"Image {Id(imageIds, image)}: {e.Message}", e);
                }

                return column;
            }, _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }

        var results = new MetricEvaluation[m];
        for (var k = 0; k < m; k++)
        {
            results[k] = new MetricEvaluation(_metrics[k].Name, _metrics[k].HigherIsBetter, ens[k], exp[k], skipped[k]);
        }

        return new EvaluationResult(members, visible, [.. visible.Select(i => Id(imageIds, i))], images - visible.Length, results);
    }

    /// <summary>Built-in metrics share the per-map views (one sort per map); others get the plain maps.</summary>
    private static double Score(IExplanationMetric metric, MapView map, RoiView roi) =>
        metric is IViewMetric fast ? fast.Compute(map, roi) : metric.Compute(map.Map, roi.Roi);

    private static string Id(IReadOnlyList<string>? ids, int i) =>
        ids is null ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : ids[i];
}
