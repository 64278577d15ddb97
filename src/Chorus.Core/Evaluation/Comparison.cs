using Chorus.Statistics;

namespace Chorus.Evaluation;

/// <summary>Summary of one aggregate (ens or exp) of one metric.</summary>
/// <param name="Mean">Mean over images with a finite score.</param>
/// <param name="Std">Sample std (n − 1) across those images.</param>
/// <param name="CiLow">Percentile-bootstrap CI of the mean (images resampled), low end.</param>
/// <param name="CiHigh">High end.</param>
/// <param name="NImages">Images with a finite score.</param>
/// <param name="NUndefined">Visible images whose score was NaN.</param>
public sealed record AggregateStats(double Mean, double Std, double CiLow, double CiHigh, int NImages, int NUndefined);

/// <summary>The paired difference ens − exp over images where both are finite.</summary>
public sealed record DifferenceStats(double Mean, double CiLow, double CiHigh, int NPairs);

/// <summary>Ens-Avg vs Exp-Avg for one part, method and metric, with its statistics.</summary>
/// <param name="Part">Expert region, e.g. <c>beak</c>.</param>
/// <param name="Method">Attribution method name.</param>
/// <param name="Metric">Metric registry name.</param>
/// <param name="HigherIsBetter">Direction of the metric.</param>
/// <param name="Ens">Ens-Avg statistics.</param>
/// <param name="Exp">Exp-Avg statistics.</param>
/// <param name="Difference">Paired ens − exp.</param>
/// <param name="Wilcoxon">Signed-rank test of the paired differences.</param>
/// <param name="ImagesNotVisible">Images excluded because the part was not visible.</param>
/// <param name="MemberScoresSkipped">Member scores that were NaN and left out of Exp-Avg, over all images.</param>
public sealed record MetricComparison(
    string Part,
    string Method,
    string Metric,
    bool HigherIsBetter,
    AggregateStats Ens,
    AggregateStats Exp,
    DifferenceStats Difference,
    WilcoxonResult Wilcoxon,
    int ImagesNotVisible,
    int MemberScoresSkipped);

/// <summary>Everything summary.json holds.</summary>
/// <param name="Schema">Format tag, <see cref="CurrentSchema"/>.</param>
/// <param name="Members">Ensemble size n.</param>
/// <param name="Aggregator">Aggregator name (e.g. <c>mean</c>).</param>
/// <param name="Bootstrap">Bootstrap settings used for every CI.</param>
/// <param name="Comparisons">One per part × method × metric.</param>
/// <param name="Metadata">Free-form run information (seeds, versions, timing), caller-supplied.</param>
public sealed record RunSummary(
    string Schema,
    int Members,
    string Aggregator,
    BootstrapOptions Bootstrap,
    IReadOnlyList<MetricComparison> Comparisons,
    IReadOnlyDictionary<string, string>? Metadata = null)
{
    public const string CurrentSchema = "chorus.summary/1";
}

/// <summary>Turns evaluation results into statistics and result-file rows.</summary>
public static class ResultTables
{
    /// <summary>
    /// Bootstrap CIs (ens, exp, paired difference; same seed for each) and the two-sided Wilcoxon signed-rank test
    /// (zeros dropped; exact for n ≤ 25 without ties, else normal) of per-image ens vs exp.
    /// </summary>
    public static MetricComparison Compare(string part, string method, MetricEvaluation metric, int imagesNotVisible, BootstrapOptions? bootstrap = null)
    {
        ArgumentNullException.ThrowIfNull(metric);
        bootstrap ??= BootstrapOptions.Default;
        var diff = Bootstrap.PairedDifferences(metric.Ens, metric.Exp);
        var diffCi = Bootstrap.MeanCi(diff, bootstrap);
        return new MetricComparison(
            part,
            method,
            metric.Metric,
            metric.HigherIsBetter,
            Stats(metric.EnsSummary, metric.Ens, bootstrap),
            Stats(metric.ExpSummary, metric.Exp, bootstrap),
            new DifferenceStats(diff.Length > 0 ? diff.Average() : double.NaN, diffCi.Low, diffCi.High, diff.Length),
            WilcoxonSignedRank.TestDifferences(diff),
            imagesNotVisible,
            metric.TotalMembersSkipped);
    }

    /// <summary><see cref="Compare(string, string, MetricEvaluation, int, BootstrapOptions?)"/> for every metric of <paramref name="result"/>.</summary>
    public static IReadOnlyList<MetricComparison> CompareAll(string part, string method, EvaluationResult result, BootstrapOptions? bootstrap = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return [.. result.Metrics.Select(m => Compare(part, method, m, result.ImagesNotVisible, bootstrap))];
    }

    /// <summary>The two results.csv rows (ens_avg, exp_avg) of a comparison; n_excluded = not visible + undefined.</summary>
    public static IEnumerable<ResultRow> ToResultRows(MetricComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        yield return Row(c, Aggregates.EnsAvg, c.Ens);
        yield return Row(c, Aggregates.ExpAvg, c.Exp);
    }

    /// <summary>per_image.csv rows: one per visible image and metric.</summary>
    public static IEnumerable<PerImageRow> ToPerImageRows(string part, string method, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var m in result.Metrics)
        {
            for (var i = 0; i < result.ImageIds.Count; i++)
            {
                yield return new PerImageRow(result.ImageIds[i], part, method, m.Metric, m.Ens[i], m.Exp[i]);
            }
        }
    }

    /// <summary>curves.csv rows from <see cref="EnsembleSizeCurve.Compute"/>.</summary>
    public static IEnumerable<CurveRow> ToCurveRows(string part, string method, IReadOnlyDictionary<string, IReadOnlyList<CurvePoint>> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        foreach (var (metric, points) in curves)
        {
            foreach (var p in points)
            {
                yield return new CurveRow(part, method, metric, p.K, p.Mean, p.Std);
            }
        }
    }

    private static AggregateStats Stats(AggregateSummary s, IReadOnlyList<double> values, BootstrapOptions bootstrap)
    {
        var ci = Bootstrap.MeanCi(values, bootstrap);
        return new AggregateStats(s.Mean, s.Std, ci.Low, ci.High, s.ImagesUsed, s.ImagesUndefined);
    }

    private static ResultRow Row(MetricComparison c, string aggregate, AggregateStats s) =>
        new(c.Part, c.Method, c.Metric, aggregate, s.Mean, s.Std, s.CiLow, s.CiHigh, s.NImages, c.ImagesNotVisible + s.NUndefined, c.HigherIsBetter, c.Wilcoxon.PValue);
}
