namespace Chorus.Statistics;

/// <summary>A two-sided confidence interval; (NaN, NaN) when there was no data.</summary>
public readonly record struct ConfidenceInterval(double Low, double High)
{
    public bool Contains(double value) => value >= Low && value <= High;
}

/// <summary>Bootstrap settings. Defaults: 2,000 resamples, 95 %, seed 0.</summary>
public sealed record BootstrapOptions(int Resamples = 2000, double Level = 0.95, int Seed = 0)
{
    public static BootstrapOptions Default { get; } = new();

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Resamples, 1);
        if (!(Level > 0 && Level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Level), Level, "Must lie in (0, 1).");
        }
    }
}

/// <summary>Percentile bootstrap of a mean over images.</summary>
public static class Bootstrap
{
    /// <summary>
    /// Percentile-bootstrap CI of the mean of <paramref name="values"/> (NaN entries are dropped first): draw
    /// <see cref="BootstrapOptions.Resamples"/> resamples of the n values with replacement (System.Random seeded
    /// with <see cref="BootstrapOptions.Seed"/>, so the result is deterministic), take each resample's mean, and
    /// return the (1−L)/2 and (1+L)/2 quantiles of those means (linear interpolation between order statistics,
    /// numpy's default). One value gives (x, x); none gives (NaN, NaN).
    /// </summary>
    public static ConfidenceInterval MeanCi(IReadOnlyList<double> values, BootstrapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        options ??= BootstrapOptions.Default;
        options.Validate();
        var data = values.Where(double.IsFinite).ToArray();
        var n = data.Length;
        if (n == 0)
        {
            return new ConfidenceInterval(double.NaN, double.NaN);
        }

        var rng = new Random(options.Seed);
        var means = new double[options.Resamples];
        for (var b = 0; b < means.Length; b++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                sum += data[rng.Next(n)];
            }

            means[b] = sum / n;
        }

        Array.Sort(means);
        var alpha = 1 - options.Level;
        return new ConfidenceInterval(Quantile(means, alpha / 2), Quantile(means, 1 - (alpha / 2)));
    }

    /// <summary>
    /// Per-image differences ens − exp over the images where both are finite (the paired difference whose CI
    /// says whether the ensemble's advantage is more than resampling noise).
    /// </summary>
    public static double[] PairedDifferences(IReadOnlyList<double> ens, IReadOnlyList<double> exp)
    {
        ArgumentNullException.ThrowIfNull(ens);
        ArgumentNullException.ThrowIfNull(exp);
        if (ens.Count != exp.Count)
        {
            throw new ArgumentException($"Paired series differ in length ({ens.Count} vs {exp.Count}).", nameof(exp));
        }

        var d = new List<double>(ens.Count);
        for (var i = 0; i < ens.Count; i++)
        {
            if (double.IsFinite(ens[i]) && double.IsFinite(exp[i]))
            {
                d.Add(ens[i] - exp[i]);
            }
        }

        return [.. d];
    }

    /// <summary>Quantile q of sorted data, linear interpolation (type 7).</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        var h = (sorted.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }
}
