namespace Chorus.Evaluation;

/// <summary>Mean and spread of one aggregate's per-image scores.</summary>
/// <param name="Mean">Mean over the images with a defined (finite) score.</param>
/// <param name="Std">Sample standard deviation (n − 1 denominator) over the same images; NaN when fewer than 2.</param>
/// <param name="ImagesUsed">Images with a finite score.</param>
/// <param name="ImagesUndefined">Visible images whose score was NaN (e.g. a zero map for CoM).</param>
public sealed record AggregateSummary(double Mean, double Std, int ImagesUsed, int ImagesUndefined)
{
    /// <summary>Summarises <paramref name="values"/>, skipping NaN.</summary>
    public static AggregateSummary Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double sum = 0;
        var n = 0;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                sum += v;
                n++;
            }
        }

        var mean = n > 0 ? sum / n : double.NaN;
        double ss = 0;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                ss += (v - mean) * (v - mean);
            }
        }

        return new AggregateSummary(mean, n > 1 ? Math.Sqrt(ss / (n - 1)) : double.NaN, n, values.Count - n);
    }
}

/// <summary>Ens-Avg and Exp-Avg scores of one metric for every visible image.</summary>
public sealed class MetricEvaluation
{
    internal MetricEvaluation(string metric, bool higherIsBetter, double[] ens, double[] exp, int[] membersSkipped)
    {
        Metric = metric;
        HigherIsBetter = higherIsBetter;
        Ens = ens;
        Exp = exp;
        MembersSkipped = membersSkipped;
        EnsSummary = AggregateSummary.Of(ens);
        ExpSummary = AggregateSummary.Of(exp);
    }

    /// <summary>
    /// Per-image Ens-Avg and Exp-Avg scores computed elsewhere (e.g. faithfulness AUCs, which need a model), so that
    /// <see cref="ResultTables.Compare"/> gives them the same statistics as the map metrics. No member is counted as skipped.
    /// </summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static MetricEvaluation FromScores(string metric, bool higherIsBetter, IReadOnlyList<double> ens, IReadOnlyList<double> exp)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentNullException.ThrowIfNull(ens);
        ArgumentNullException.ThrowIfNull(exp);
        if (ens.Count != exp.Count)
        {
            throw new ArgumentException($"{ens.Count} Ens-Avg scores but {exp.Count} Exp-Avg scores; one pair per image is needed.", nameof(exp));
        }

        return new MetricEvaluation(metric, higherIsBetter, [.. ens], [.. exp], new int[ens.Count]);
    }

    /// <summary>The metric's registry name.</summary>
    public string Metric { get; }

    public bool HigherIsBetter { get; }

    /// <summary>Per visible image: metric(aggregate(maps[·][image]), roi). NaN when undefined.</summary>
    public IReadOnlyList<double> Ens { get; }

    /// <summary>Per visible image: mean over members with a finite score of metric(maps[j][image], roi); NaN if none.</summary>
    public IReadOnlyList<double> Exp { get; }

    /// <summary>Per visible image: how many members scored NaN and were left out of <see cref="Exp"/>.</summary>
    public IReadOnlyList<int> MembersSkipped { get; }

    public AggregateSummary EnsSummary { get; }

    public AggregateSummary ExpSummary { get; }

    /// <summary>Total member scores skipped (NaN) over all images.</summary>
    public int TotalMembersSkipped => MembersSkipped.Sum();
}

/// <summary>The outcome of <see cref="EnsembleEvaluator.Evaluate"/> for one method and one part.</summary>
public sealed class EvaluationResult
{
    internal EvaluationResult(int members, int[] imageIndices, string[] imageIds, int imagesNotVisible, MetricEvaluation[] metrics)
    {
        Members = members;
        ImageIndices = imageIndices;
        ImageIds = imageIds;
        ImagesNotVisible = imagesNotVisible;
        Metrics = metrics;
    }

    /// <summary>Ensemble size n.</summary>
    public int Members { get; }

    /// <summary>Indices (into the input lists) of the visible images, in input order; per-image arrays follow it.</summary>
    public IReadOnlyList<int> ImageIndices { get; }

    /// <summary>Ids of the visible images (the given ids, or the index as text).</summary>
    public IReadOnlyList<string> ImageIds { get; }

    /// <summary>Images excluded because their ROI was null (part not visible).</summary>
    public int ImagesNotVisible { get; }

    /// <summary>One entry per metric, in the evaluator's metric order.</summary>
    public IReadOnlyList<MetricEvaluation> Metrics { get; }

    /// <summary>The entry for <paramref name="metric"/>.</summary>
    public MetricEvaluation this[string metric] =>
        Metrics.FirstOrDefault(m => m.Metric == metric) ?? throw new KeyNotFoundException($"Metric '{metric}' was not evaluated.");
}
