using Chorus.Explanations;

namespace Chorus.Ensembles;

/// <summary>Per-member rescaling applied before the maps are combined.</summary>
public enum MemberNormalisation
{
    /// <summary>Use the raw maps (default; the seed's formula).</summary>
    None,

    /// <summary>x / max|x|, so the largest magnitude is 1 (sign kept).</summary>
    MaxAbs,

    /// <summary>x / Σ|x|, so the absolute values sum to 1 (equals x / Σx for non-negative maps; sign kept).</summary>
    SumToOne,

    /// <summary>Percentile rank: (average rank − 1) / (N − 1) in [0, 1], ascending; ties share the mean rank.</summary>
    Rank,

    /// <summary>x / √(mean(x²)), so the second moment is 1 (sign kept).</summary>
    SecondMoment,
}

/// <summary>Applies a <see cref="MemberNormalisation"/>.</summary>
public static class MapNormalisation
{
    /// <summary>
    /// Returns a new normalised map (the input is not modified). A map whose divisor is 0 (all zeros) is
    /// returned as a copy, unchanged: it carries no relevance either way. For <see cref="MemberNormalisation.Rank"/>
    /// a constant map (or a 1-pixel map) becomes 0.5 everywhere.
    /// </summary>
    /// <exception cref="ArgumentException">The map holds NaN/±∞.</exception>
    public static SaliencyMap Apply(SaliencyMap map, MemberNormalisation normalisation)
    {
        Metrics.MetricGuard.CheckFinite(map, nameof(map));
        var v = map.Values;
        var n = v.Length;
        var result = new float[n];
        switch (normalisation)
        {
            case MemberNormalisation.None:
                Array.Copy(v, result, n);
                break;
            case MemberNormalisation.MaxAbs:
                {
                    double m = 0;
                    foreach (var x in v)
                    {
                        m = Math.Max(m, Math.Abs(x));
                    }

                    Scale(v, result, m);
                    break;
                }

            case MemberNormalisation.SumToOne:
                {
                    double s = 0;
                    foreach (var x in v)
                    {
                        s += Math.Abs(x);
                    }

                    Scale(v, result, s);
                    break;
                }

            case MemberNormalisation.SecondMoment:
                {
                    double s = 0;
                    foreach (var x in v)
                    {
                        s += (double)x * x;
                    }

                    Scale(v, result, Math.Sqrt(s / n));
                    break;
                }

            case MemberNormalisation.Rank:
                {
                    if (n == 1)
                    {
                        result[0] = 0.5f;
                        break;
                    }

                    var ranks = Metrics.Ranking.AverageRanks(v);
                    for (var i = 0; i < n; i++)
                    {
                        result[i] = (float)((ranks[i] - 1) / (n - 1));
                    }

                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(normalisation), normalisation, "Unknown normalisation.");
        }

        return new SaliencyMap(map.Height, map.Width, result);
    }

    private static void Scale(float[] source, float[] target, double divisor)
    {
        if (divisor > 0)
        {
            for (var i = 0; i < source.Length; i++)
            {
                target[i] = (float)(source[i] / divisor);
            }
        }
        else
        {
            Array.Copy(source, target, source.Length);
        }
    }
}
