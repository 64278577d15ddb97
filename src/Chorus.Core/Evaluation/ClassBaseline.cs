namespace Chorus.Evaluation;

/// <summary>
/// What a classifier must beat on a held-out split before its explanations mean anything: the majority-class rate
/// (always answering the most frequent class), not 1/classes, which is no baseline on an imbalanced split.
/// </summary>
/// <param name="Classes">Number of classes K.</param>
/// <param name="MajorityClass">The most frequent class (the lowest index among ties).</param>
/// <param name="MajorityRate">Its share of the split: the accuracy of always answering it.</param>
/// <param name="Count">Images in the split.</param>
public sealed record ClassBaseline(int Classes, int MajorityClass, double MajorityRate, int Count)
{
    /// <summary>1/K: the balanced accuracy of any constant or random answer.</summary>
    public double Chance => 1.0 / Classes;

    /// <summary>
    /// How far above <see cref="MajorityRate"/> an accuracy must be to count as clearly above it: two binomial standard
    /// errors of that rate on <see cref="Count"/> images (at least one image's worth).
    /// </summary>
    public double AccuracyMargin => Math.Max(1.0 / Count, 2 * Math.Sqrt(MajorityRate * (1 - MajorityRate) / Count));

    /// <summary>The same for balanced accuracy against <see cref="Chance"/>.</summary>
    public double BalancedMargin => Math.Max(1.0 / Count, 2 * Math.Sqrt(Chance * (1 - Chance) / Count));

    /// <summary>The baseline of <paramref name="labels"/> (class indices 0..<paramref name="classes"/>−1).</summary>
    /// <exception cref="ArgumentException">No labels, fewer than two classes, or a label out of range.</exception>
    public static ClassBaseline FromLabels(IReadOnlyList<int> labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0 || classes < 2)
        {
            throw new ArgumentException($"A baseline needs at least one label and two classes (got {labels.Count} labels, {classes} classes).", nameof(labels));
        }

        var counts = new int[classes];
        foreach (var y in labels)
        {
            if (y < 0 || y >= classes)
            {
                throw new ArgumentException($"Label {y} is outside 0..{classes - 1}.", nameof(labels));
            }

            counts[y]++;
        }

        var majority = Array.IndexOf(counts, counts.Max());
        return new ClassBaseline(classes, majority, (double)counts[majority] / labels.Count, labels.Count);
    }

    /// <summary>
    /// Whether a member with this held-out <paramref name="accuracy"/> (and <paramref name="balancedAccuracy"/>, when
    /// known) is clearly above the baseline: accuracy above the majority rate and balanced accuracy above chance, each by
    /// its margin.
    /// </summary>
    public bool IsClearlyAbove(double accuracy, double? balancedAccuracy) =>
        accuracy > MajorityRate + AccuracyMargin && (balancedAccuracy is not { } b || b > Chance + BalancedMargin);

    /// <summary>Balanced accuracy: the mean over the classes present in <paramref name="labels"/> of the share predicted right.</summary>
    public static double BalancedAccuracy(IReadOnlyList<int> labels, IReadOnlyList<int> predictions)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predictions);
        if (labels.Count != predictions.Count || labels.Count == 0)
        {
            throw new ArgumentException($"Need as many predictions as labels, at least one (got {predictions.Count} and {labels.Count}).", nameof(predictions));
        }

        var total = new Dictionary<int, int>();
        var right = new Dictionary<int, int>();
        for (var i = 0; i < labels.Count; i++)
        {
            total[labels[i]] = total.GetValueOrDefault(labels[i]) + 1;
            if (labels[i] == predictions[i])
            {
                right[labels[i]] = right.GetValueOrDefault(labels[i]) + 1;
            }
        }

        return total.Average(kv => (double)right.GetValueOrDefault(kv.Key) / kv.Value);
    }
}
