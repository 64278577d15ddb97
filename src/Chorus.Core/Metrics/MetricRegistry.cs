namespace Chorus.Metrics;

/// <summary>
/// Metrics by name. Defaults: <c>com_distance</c> (normalised by the diagonal, positive part),
/// <c>com_distance_px</c>, <c>pearson</c>, <c>spearman</c>, <c>iou</c> (min–max, t = 0.5), <c>iou_otsu</c>,
/// <c>iou_topk</c>, <c>pointing_game</c>, <c>relevance_mass</c>, <c>relevance_rank</c>,
/// <c>topk_intersection</c> (k = 10 % of pixels), <c>auc</c>.
/// </summary>
public static class MetricRegistry
{
    private static readonly Dictionary<string, Func<IExplanationMetric>> Factories = new(StringComparer.Ordinal)
    {
        ["com_distance"] = () => new CentreOfMassDistance(normalised: true),
        ["com_distance_px"] = () => new CentreOfMassDistance(normalised: false),
        ["pearson"] = () => new PearsonCorrelation(),
        ["spearman"] = () => new SpearmanCorrelation(),
        ["iou"] = () => new IntersectionOverUnion(),
        ["iou_otsu"] = () => new IntersectionOverUnion(BinarisationRule.Otsu),
        ["iou_topk"] = () => new IntersectionOverUnion(BinarisationRule.TopKRoiArea),
        ["pointing_game"] = () => new PointingGame(),
        ["relevance_mass"] = () => new RelevanceMassAccuracy(),
        ["relevance_rank"] = () => new RelevanceRankAccuracy(),
        ["topk_intersection"] = () => new TopKIntersection(),
        ["auc"] = () => new RocAuc(),
    };

    /// <summary>The nine metrics of the study, in report order.</summary>
    public static IReadOnlyList<string> DefaultNames { get; } =
        ["com_distance", "pearson", "spearman", "iou", "pointing_game", "relevance_mass", "relevance_rank", "topk_intersection", "auc"];

    /// <summary>Every registered name.</summary>
    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>The metric called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static IExplanationMetric Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Factories.TryGetValue(name, out var f)
            ? f()
            : throw new ArgumentException($"Unknown metric '{name}'. Known: {string.Join(", ", Factories.Keys)}.", nameof(name));
    }

    /// <summary>The nine default metrics.</summary>
    public static IReadOnlyList<IExplanationMetric> CreateDefaults() => [.. DefaultNames.Select(Create)];
}
