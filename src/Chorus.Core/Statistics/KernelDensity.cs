namespace Chorus.Statistics;

/// <summary>
/// Gaussian kernel density estimate with Silverman's rule-of-thumb bandwidth,
/// h = 0.9 · min(σ, IQR / 1.34) · n^(−1/5) (Silverman 1986, eq. 3.31), as used for the report's violin plots.
/// Non-finite values are ignored.
/// </summary>
public static class KernelDensity
{
    /// <summary>
    /// Silverman's bandwidth of the finite values. Falls back to 1.06 · σ · n^(−1/5) when the IQR is 0, and returns 0
    /// when fewer than two values are finite or all are equal (no spread: the density is a point mass).
    /// </summary>
    public static double SilvermanBandwidth(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (v.Length < 2)
        {
            return 0;
        }

        var mean = v.Average();
        var sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        var iqr = Quantile(v, 0.75) - Quantile(v, 0.25);
        var spread = iqr > 0 ? Math.Min(sd, iqr / 1.34) : sd;
        var factor = iqr > 0 ? 0.9 : 1.06;
        return factor * spread * Math.Pow(v.Length, -0.2);
    }

    /// <summary>The density at <paramref name="x"/>: (1 / n h) Σ φ((x − v_i) / h), φ the standard normal density.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bandwidth"/> is not positive.</exception>
    public static double Density(IReadOnlyList<double> values, double bandwidth, double x)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!(bandwidth > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(bandwidth), "The bandwidth must be positive.");
        }

        double sum = 0;
        var n = 0;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                var z = (x - v) / bandwidth;
                sum += Math.Exp(-0.5 * z * z);
                n++;
            }
        }

        return n == 0 ? 0 : sum / (n * bandwidth * Math.Sqrt(2 * Math.PI));
    }

    /// <summary>
    /// The density on <paramref name="points"/> evenly spaced positions from min − cut·h to max + cut·h (Silverman h);
    /// with cut = 3 the grid holds ≈ 99.7% of the mass. Empty arrays when no value is finite or there is no spread.
    /// </summary>
    public static (double[] X, double[] Density) Estimate(IReadOnlyList<double> values, int points = 64, double cut = 3)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        var h = SilvermanBandwidth(values);
        if (!(h > 0))
        {
            return ([], []);
        }

        var finite = values.Where(double.IsFinite).ToArray();
        var lo = finite.Min() - (cut * h);
        var hi = finite.Max() + (cut * h);
        var x = new double[points];
        var d = new double[points];
        for (var i = 0; i < points; i++)
        {
            x[i] = lo + ((hi - lo) * i / (points - 1));
            d[i] = Density(finite, h, x[i]);
        }

        return (x, d);
    }

    /// <summary>Linear-interpolation quantile of ascending <paramref name="sorted"/> values (numpy's default); the array must not be empty.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        var pos = (sorted.Length - 1) * q;
        var i = (int)Math.Floor(pos);
        return i + 1 < sorted.Length ? sorted[i] + ((pos - i) * (sorted[i + 1] - sorted[i])) : sorted[i];
    }
}
