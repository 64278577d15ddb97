namespace Chorus.Statistics;

/// <summary>How the p-value was obtained.</summary>
public enum WilcoxonMethod
{
    /// <summary>Exact null distribution of W⁺ (all 2ⁿ sign patterns, by dynamic programming).</summary>
    Exact,

    /// <summary>Normal approximation with tie correction, no continuity correction (scipy's default).</summary>
    Normal,
}

/// <summary>Treatment of zero differences.</summary>
public enum ZeroMethod
{
    /// <summary>Drop zero differences before ranking (Wilcoxon; scipy's default).</summary>
    Wilcox,

    /// <summary>Rank zeros with the rest, then drop their ranks from the sums; the normal mean and variance are
    /// corrected for them (Pratt 1959, Cureton 1967). Always uses the normal approximation when zeros exist.</summary>
    Pratt,
}

/// <summary>Result of a two-sided Wilcoxon signed-rank test.</summary>
/// <param name="Statistic">T = min(W⁺, W⁻), the smaller signed-rank sum (scipy's two-sided statistic).</param>
/// <param name="PValue">Two-sided p-value; 1 when no non-zero differences remain; NaN when there are no pairs.</param>
/// <param name="N">Non-zero differences used.</param>
/// <param name="Zeros">Zero differences (dropped or Pratt-handled).</param>
/// <param name="Method">Exact or normal approximation.</param>
/// <param name="Z">The z score under the normal approximation (NaN for the exact method).</param>
public sealed record WilcoxonResult(double Statistic, double PValue, int N, int Zeros, WilcoxonMethod Method, double Z);

/// <summary>
/// Two-sided Wilcoxon signed-rank test of paired samples (per-image Ens-Avg vs Exp-Avg). Differences
/// d = x − y; pairs with a NaN are ignored. |d| gets average ranks; W⁺/W⁻ sum the ranks of positive/negative d.
/// <para>Method (when not forced): exact when n ≤ <see cref="ExactMaxN"/> non-zero differences with no ties among
/// |d| and no zeros kept by Pratt; otherwise the normal approximation:
/// z = (T − μ)/σ, μ = n(n+1)/4, σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48 over tie groups of size t, p = 2Φ(−|z|),
/// without continuity correction. With <see cref="ZeroMethod.Pratt"/>, n counts the zeros and μ, σ² subtract
/// n₀(n₀+1)/4 and n₀(n₀+1)(2n₀+1)/24 (scipy's formulae).</para>
/// </summary>
public static class WilcoxonSignedRank
{
    /// <summary>Largest n for which the exact distribution is used automatically.</summary>
    public const int ExactMaxN = 25;

    /// <summary>Tests x against y, pairwise.</summary>
    public static WilcoxonResult Test(IReadOnlyList<double> x, IReadOnlyList<double> y, ZeroMethod zeroMethod = ZeroMethod.Wilcox, WilcoxonMethod? method = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"Paired samples differ in length ({x.Count} vs {y.Count}).", nameof(y));
        }

        var d = new List<double>(x.Count);
        for (var i = 0; i < x.Count; i++)
        {
            if (!double.IsNaN(x[i]) && !double.IsNaN(y[i]))
            {
                d.Add(x[i] - y[i]);
            }
        }

        return TestDifferences(d, zeroMethod, method);
    }

    /// <summary>Tests whether the differences are symmetric about 0.</summary>
    public static WilcoxonResult TestDifferences(IReadOnlyList<double> differences, ZeroMethod zeroMethod = ZeroMethod.Wilcox, WilcoxonMethod? method = null)
    {
        ArgumentNullException.ThrowIfNull(differences);
        var all = differences.Where(v => !double.IsNaN(v)).ToArray();
        if (all.Length == 0)
        {
            return new WilcoxonResult(double.NaN, double.NaN, 0, 0, method ?? WilcoxonMethod.Exact, double.NaN);
        }

        var zeros = all.Count(v => v == 0);
        var ranked = zeroMethod == ZeroMethod.Wilcox ? all.Where(v => v != 0).ToArray() : all;
        var nonZero = all.Length - zeros;
        if (nonZero == 0)
        {
            return new WilcoxonResult(0, 1, 0, zeros, method ?? WilcoxonMethod.Exact, double.NaN);
        }

        var ranks = AverageRanks(ranked.Select(Math.Abs).ToArray(), out var tieGroups);
        double wPlus = 0, wMinus = 0;
        for (var i = 0; i < ranked.Length; i++)
        {
            if (ranked[i] > 0)
            {
                wPlus += ranks[i];
            }
            else if (ranked[i] < 0)
            {
                wMinus += ranks[i];
            }
        }

        var t = Math.Min(wPlus, wMinus);
        var hasTies = tieGroups.Any(g => g > 1);
        var prattZeros = zeroMethod == ZeroMethod.Pratt && zeros > 0;
        var chosen = method ?? (nonZero <= ExactMaxN && !hasTies && !prattZeros ? WilcoxonMethod.Exact : WilcoxonMethod.Normal);
        if (chosen == WilcoxonMethod.Exact)
        {
            if (hasTies || prattZeros)
            {
                throw new ArgumentException("The exact distribution needs distinct non-zero |differences| (and no Pratt zeros); use the normal approximation.", nameof(method));
            }

            if (nonZero > 60)
            {
                throw new ArgumentException("The exact distribution is limited to n ≤ 60.", nameof(method));
            }

            return new WilcoxonResult(t, ExactTwoSidedP(nonZero, (int)Math.Round(t)), nonZero, zeros, WilcoxonMethod.Exact, double.NaN);
        }

        double n = ranked.Length;
        var mean = n * (n + 1) / 4;
        var var24 = n * (n + 1) * ((2 * n) + 1);
        if (zeroMethod == ZeroMethod.Pratt)
        {
            double n0 = zeros;
            mean -= n0 * (n0 + 1) / 4;
            var24 -= n0 * (n0 + 1) * ((2 * n0) + 1);
            tieGroups = TieGroups(ranked.Where(v => v != 0).Select(Math.Abs).ToArray());
        }

        foreach (var g in tieGroups)
        {
            var24 -= 0.5 * g * (((double)g * g) - 1);
        }

        var sd = Math.Sqrt(var24 / 24);
        var z = sd > 0 ? (t - mean) / sd : 0;
        var p = Math.Min(1, 2 * NormalCdf(-Math.Abs(z)));
        return new WilcoxonResult(t, p, nonZero, zeros, WilcoxonMethod.Normal, z);
    }

    /// <summary>P = min(1, 2·P(W ≤ t)) under H₀ for n distinct ranks: counts of subsets of {1..n} by sum, / 2ⁿ.</summary>
    internal static double ExactTwoSidedP(int n, int t)
    {
        var max = n * (n + 1) / 2;
        var counts = new double[max + 1]; // doubles hold 2^60 counts exactly enough for a p-value
        counts[0] = 1;
        for (var r = 1; r <= n; r++)
        {
            for (var s = max; s >= r; s--)
            {
                counts[s] += counts[s - r];
            }
        }

        double below = 0;
        for (var s = 0; s <= Math.Min(t, max); s++)
        {
            below += counts[s];
        }

        return Math.Min(1, 2 * below / Math.Pow(2, n));
    }

    /// <summary>Standard normal CDF Φ(x) = erfc(−x/√2)/2.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>
    /// Complementary error function, W. J. Cody's rational approximations (relative error below 1e-15 over the
    /// whole range).
    /// </summary>
    internal static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        var ax = Math.Abs(x);
        double result;
        if (ax < 0.5)
        {
            var t = x * x;
            var top = ((((0.185777706184603153 * t) + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
            var bot = ((((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t) + 2844.23683343917062;
            return 1 - (x * top / bot);
        }

        if (ax < 4)
        {
            var top = (((((((((2.15311535474403846e-8 * ax) + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax) + 1230.33935479799725;
            var bot = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
            result = Math.Exp(-ax * ax) * top / bot;
        }
        else
        {
            var z = 1 / (ax * ax);
            var top = (((((0.0163153871373020978 * z) + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
            var bot = (((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z) + 0.00233520497626869185;
            result = Math.Exp(-ax * ax) / ax * (0.564189583547756287 - (z * top / bot));
        }

        return x < 0 ? 2 - result : result;
    }

    private static double[] AverageRanks(double[] values, out List<int> tieGroups)
    {
        var n = values.Length;
        var idx = Enumerable.Range(0, n).ToArray();
        var keys = (double[])values.Clone();
        Array.Sort(keys, idx);
        var ranks = new double[n];
        tieGroups = [];
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            tieGroups.Add(end - start);
            var avg = ((start + 1) + end) / 2.0;
            for (var j = start; j < end; j++)
            {
                ranks[idx[j]] = avg;
            }

            start = end;
        }

        return ranks;
    }

    private static List<int> TieGroups(double[] values)
    {
        AverageRanks(values, out var groups);
        return groups;
    }
}
