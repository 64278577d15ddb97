using Chorus.Explanations;

namespace Chorus.Ensembles;

/// <summary>The per-pixel statistic that combines member maps.</summary>
public enum AggregationKind
{
    /// <summary>score_ens(i) = 1/n Σⱼ score_j(i) (default; the seed's formula).</summary>
    Mean,

    /// <summary>Per-pixel median; for even n the mean of the two middle values.</summary>
    Median,

    /// <summary>
    /// Per-pixel mean after dropping the ⌊n/10⌋ lowest and the ⌊n/10⌋ highest member values (one each for the study's
    /// n = 11; none below 10 members, where it is the mean).
    /// </summary>
    TrimmedMean,

    /// <summary>
    /// CRH truth discovery (Li et al., SIGMOD 2014), as PyHealth's ensemble explainers run it: the consensus starts as the
    /// per-pixel (lower) median, then 20 rounds of member weights w_k ∝ 1 / (ε + MSE(member_k, consensus)), ε = 1e-6,
    /// normalised to sum 1, and consensus = Σ_k w_k member_k. Members far from the consensus count less. PyHealth feeds
    /// maps scaled to [0, 1]; so ε has that scale in mind, <c>crh</c> alone normalises each member by its max |value| first.
    /// </summary>
    Crh,

    /// <summary>
    /// AGG-Var (Rieger &amp; Hansen 2019): per pixel, the members' mean divided by their standard deviation plus ε,
    /// mean / (σ + ε), so that pixels the members disagree on count less. σ is the population standard deviation. The
    /// ratio depends on the maps' scale, so <c>agg-var</c> alone first scales each member to max |value| 1 and uses
    /// ε = <see cref="EnsembleAggregator.AggVarEpsilon"/> on that scale (Chorus's choice: a pixel whose members agree
    /// exactly keeps 10× its mean, and a disagreement of σ = ε halves it).
    /// </summary>
    AggVar,
}

/// <summary>Combines the maps of the ensemble members for one image into one map.</summary>
public interface IEnsembleAggregator
{
    /// <summary>Short name for result files, e.g. <c>mean</c> or <c>median+rank</c>.</summary>
    string Name { get; }

    /// <summary>Combines <paramref name="members"/> (at least one, all the same size, finite) into a new map.</summary>
    SaliencyMap Aggregate(IReadOnlyList<SaliencyMap> members);
}

/// <summary>
/// Normalises each member (<see cref="MemberNormalisation"/>, default none) and then takes the per-pixel mean
/// (default) or median. Stateless and thread-safe.
/// </summary>
public sealed class EnsembleAggregator : IEnsembleAggregator
{
    /// <summary>The default: mean of raw maps.</summary>
    public static EnsembleAggregator Mean { get; } = new();

    /// <param name="kind">Per-pixel statistic. Default: mean.</param>
    /// <param name="normalisation">Applied to each member first. Default: none.</param>
    public EnsembleAggregator(AggregationKind kind = AggregationKind.Mean, MemberNormalisation normalisation = MemberNormalisation.None)
    {
        Kind = kind;
        Normalisation = normalisation;
    }

    public AggregationKind Kind { get; }

    public MemberNormalisation Normalisation { get; }

    /// <inheritdoc />
    public string Name
    {
        get
        {
            var kind = Kind switch
            {
                AggregationKind.Median => "median",
                AggregationKind.TrimmedMean => "trimmed-mean",
                AggregationKind.Crh => "crh",
                AggregationKind.AggVar => "agg-var",
                _ => "mean",
            };
            return Normalisation switch
            {
                MemberNormalisation.None => Kind is AggregationKind.Crh or AggregationKind.AggVar ? kind + "+none" : kind,
                MemberNormalisation.MaxAbs => kind + "+max_abs",
                MemberNormalisation.SumToOne => kind + "+sum_to_one",
                MemberNormalisation.Rank => kind + "+rank",
                MemberNormalisation.SecondMoment => kind + "+second_moment",
                _ => kind + "+" + Normalisation,
            };
        }
    }

    /// <summary>Every name <see cref="Parse"/> accepts: a statistic, optionally followed by <c>+</c> and a normalisation.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. new[] { "mean", "median", "trimmed-mean", "crh", "agg-var" }.SelectMany(k => new[] { k, k + "+max-abs", k + "+sum", k + "+rank", k + "+second-moment" })];

    /// <summary>
    /// Parses <c>mean</c>, <c>median</c>, or either followed by <c>+max-abs</c>, <c>+sum</c>, <c>+rank</c> or
    /// <c>+second-moment</c> (case-insensitive; <c>_</c> for <c>-</c>, <c>sum_to_one</c> for <c>sum</c>: every <see cref="Name"/> reads back).
    /// </summary>
    /// <exception cref="ArgumentException">Any other text; the message lists the accepted names.</exception>
    public static EnsembleAggregator Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().ToLowerInvariant().Replace('_', '-').Split('+');
        AggregationKind? kind = parts[0] switch
        {
            "mean" => AggregationKind.Mean,
            "median" => AggregationKind.Median,
            "trimmed-mean" => AggregationKind.TrimmedMean,
            "crh" => AggregationKind.Crh,
            "agg-var" or "aggvar" => AggregationKind.AggVar,
            _ => null,
        };
        MemberNormalisation? normalisation = parts.Length switch
        {
            1 => kind is AggregationKind.Crh or AggregationKind.AggVar ? MemberNormalisation.MaxAbs : MemberNormalisation.None,
            2 => parts[1] switch
            {
                "none" => MemberNormalisation.None,
                "max-abs" => MemberNormalisation.MaxAbs,
                "sum" or "sum-to-one" => MemberNormalisation.SumToOne,
                "rank" => MemberNormalisation.Rank,
                "second-moment" => MemberNormalisation.SecondMoment,
                _ => null,
            },
            _ => null,
        };
        return kind is { } k && normalisation is { } n
            ? (k == AggregationKind.Mean && n == MemberNormalisation.None ? Mean : new EnsembleAggregator(k, n))
            : throw new ArgumentException($"Unknown aggregation '{text}'; known: {string.Join(", ", Names)}.", nameof(text));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">No members, differing sizes, or a NaN/±∞ value.</exception>
    public SaliencyMap Aggregate(IReadOnlyList<SaliencyMap> members)
    {
        var prepared = Prepare(members, Normalisation);
        return Kind switch
        {
            AggregationKind.Median => MedianOf(prepared),
            AggregationKind.TrimmedMean => TrimmedMeanOf(prepared),
            AggregationKind.Crh => CrhOf(prepared),
            AggregationKind.AggVar => AggVarOf(prepared),
            _ => MeanOf(prepared),
        };
    }

    /// <summary>ε of <see cref="AggregationKind.Crh"/>'s weights (PyHealth's).</summary>
    public const double CrhEpsilon = 1e-6;

    /// <summary>Rounds of <see cref="AggregationKind.Crh"/> (PyHealth's default).</summary>
    public const int CrhRounds = 20;

    /// <summary>ε of <see cref="AggregationKind.AggVar"/>, on maps scaled to max |value| 1.</summary>
    public const double AggVarEpsilon = 0.1;

    /// <summary>
    /// Per-pixel disagreement: σ / (|mean| + ε) with σ the population standard deviation across members and
    /// ε = <paramref name="epsilon"/> × max |mean| (so that pixels where the ensemble sees nothing do not blow up), after
    /// <paramref name="normalisation"/> (default: each member scaled to max |value| 1). 0 = members agree; above 1 = they
    /// disagree by more than the signal. The report shows it as an uncertainty overlay.
    /// </summary>
    public static SaliencyMap Disagreement(IReadOnlyList<SaliencyMap> members, double epsilon = 0.05, MemberNormalisation normalisation = MemberNormalisation.MaxAbs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epsilon);
        var prepared = Prepare(members, normalisation);
        var mean = MeanOf(prepared).Values;
        var std = Agreement(prepared).Values;
        var floor = epsilon * Math.Max(mean.Max(Math.Abs), float.Epsilon);
        var result = new float[mean.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)(std[i] / (Math.Abs(mean[i]) + floor));
        }

        return new SaliencyMap(prepared[0].Height, prepared[0].Width, result);
    }

    /// <summary>
    /// Per-pixel agreement map: the population standard deviation across members,
    /// √(1/n Σⱼ (score_j(i) − score_ens(i))²), after <paramref name="normalisation"/>. Low = members agree.
    /// </summary>
    public static SaliencyMap Agreement(IReadOnlyList<SaliencyMap> members, MemberNormalisation normalisation = MemberNormalisation.None)
    {
        var prepared = Prepare(members, normalisation);
        var first = prepared[0];
        var n = prepared.Count;
        var len = first.Values.Length;
        var mean = new double[len];
        foreach (var m in prepared)
        {
            var v = m.Values;
            for (var i = 0; i < len; i++)
            {
                mean[i] += v[i];
            }
        }

        for (var i = 0; i < len; i++)
        {
            mean[i] /= n;
        }

        var ss = new double[len];
        foreach (var m in prepared)
        {
            var v = m.Values;
            for (var i = 0; i < len; i++)
            {
                var d = v[i] - mean[i];
                ss[i] += d * d;
            }
        }

        var result = new float[len];
        for (var i = 0; i < len; i++)
        {
            result[i] = (float)Math.Sqrt(ss[i] / n);
        }

        return new SaliencyMap(first.Height, first.Width, result);
    }

    internal static IReadOnlyList<SaliencyMap> Prepare(IReadOnlyList<SaliencyMap> members, MemberNormalisation normalisation)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
        {
            throw new ArgumentException("An ensemble needs at least one member map.", nameof(members));
        }

        var first = members[0] ?? throw new ArgumentException("Member 0 is null.", nameof(members));
        for (var j = 0; j < members.Count; j++)
        {
            var m = members[j] ?? throw new ArgumentException($"Member {j} is null.", nameof(members));
            if (m.Height != first.Height || m.Width != first.Width)
            {
                throw new ArgumentException(
                    $"Member {j} is {m.Height}×{m.Width} but member 0 is {first.Height}×{first.Width}; all members must be the same size.",
                    nameof(members));
            }

            Metrics.MetricGuard.CheckFinite(m, $"member {j}");
        }

        if (normalisation == MemberNormalisation.None)
        {
            return members;
        }

        var result = new SaliencyMap[members.Count];
        for (var j = 0; j < result.Length; j++)
        {
            result[j] = MapNormalisation.Apply(members[j], normalisation);
        }

        return result;
    }

    private static SaliencyMap MeanOf(IReadOnlyList<SaliencyMap> members)
    {
        var first = members[0];
        var len = first.Values.Length;
        var sum = new double[len];
        foreach (var m in members)
        {
            var v = m.Values;
            for (var i = 0; i < len; i++)
            {
                sum[i] += v[i];
            }
        }

        var result = new float[len];
        var n = (double)members.Count;
        for (var i = 0; i < len; i++)
        {
            result[i] = (float)(sum[i] / n);
        }

        return new SaliencyMap(first.Height, first.Width, result);
    }

    private static SaliencyMap TrimmedMeanOf(IReadOnlyList<SaliencyMap> members)
    {
        var n = members.Count;
        var cut = n / 10;
        return new SaliencyMap(members[0].Height, members[0].Width, PerPixelSorted(members, column =>
        {
            double sum = 0;
            for (var j = cut; j < n - cut; j++)
            {
                sum += column[j];
            }

            return sum / (n - (2 * cut));
        }));
    }

    /// <summary>
    /// The member weights CRH ends with (<see cref="AggregationKind.Crh"/>, after this aggregator's normalisation): one per
    /// member, non-negative, summing to one. They are computed from the maps alone.
    /// </summary>
    public IReadOnlyList<double> CrhWeights(IReadOnlyList<SaliencyMap> members)
    {
        if (Kind != AggregationKind.Crh)
        {
            throw new InvalidOperationException($"{Name} has no member weights; only crh does.");
        }

        var weights = new double[members.Count];
        CrhOf(Prepare(members, Normalisation), weights);
        return weights;
    }

    private static SaliencyMap CrhOf(IReadOnlyList<SaliencyMap> members) => CrhOf(members, new double[members.Count]);

    private static SaliencyMap CrhOf(IReadOnlyList<SaliencyMap> members, double[] finalWeights)
    {
        var first = members[0];
        var len = first.Values.Length;
        var n = members.Count;

        // Start: the per-pixel lower median (torch.median's, as PyHealth).
        var truth = Array.ConvertAll(PerPixelSorted(members, column => column[(n - 1) / 2]), v => (double)v);

        var weights = new double[n];
        for (var round = 0; round < CrhRounds; round++)
        {
            for (var j = 0; j < n; j++)
            {
                var v = members[j].Values;
                double se = 0;
                for (var i = 0; i < len; i++)
                {
                    var d = v[i] - truth[i];
                    se += d * d;
                }

                weights[j] = 1.0 / (CrhEpsilon + (se / len));
            }

            var total = weights.Sum();
            Array.Clear(truth);
            for (var j = 0; j < n; j++)
            {
                var w = weights[j] / total;
                var v = members[j].Values;
                for (var i = 0; i < len; i++)
                {
                    truth[i] += w * v[i];
                }
            }
        }

        var sum = weights.Sum();
        for (var j = 0; j < n; j++)
        {
            finalWeights[j] = weights[j] / sum;
        }

        return new SaliencyMap(first.Height, first.Width, [.. truth.Select(t => (float)t)]);
    }

    private static SaliencyMap AggVarOf(IReadOnlyList<SaliencyMap> members)
    {
        var mean = MeanOf(members).Values;
        var std = Agreement(members).Values;
        var result = new float[mean.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)(mean[i] / (std[i] + AggVarEpsilon));
        }

        return new SaliencyMap(members[0].Height, members[0].Width, result);
    }

    private static SaliencyMap MedianOf(IReadOnlyList<SaliencyMap> members)
    {
        var n = members.Count;
        return new SaliencyMap(members[0].Height, members[0].Width, PerPixelSorted(members, column =>
            n % 2 == 1 ? column[n / 2] : (column[(n / 2) - 1] + (double)column[n / 2]) / 2));
    }

    // Per pixel: the members' values, sorted ascending, reduced by `reduce` (median, trimmed mean, CRH's start).
    private static float[] PerPixelSorted(IReadOnlyList<SaliencyMap> members, Func<float[], double> reduce)
    {
        var len = members[0].Values.Length;
        var column = new float[members.Count];
        var result = new float[len];
        for (var i = 0; i < len; i++)
        {
            for (var j = 0; j < column.Length; j++)
            {
                column[j] = members[j].Values[i];
            }

            Array.Sort(column);
            result[i] = (float)reduce(column);
        }

        return result;
    }
}
