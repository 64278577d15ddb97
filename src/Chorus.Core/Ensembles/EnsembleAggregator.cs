using Chorus.Explanations;

namespace Chorus.Ensembles;

/// <summary>The per-pixel statistic that combines member maps.</summary>
public enum AggregationKind
{
    /// <summary>score_ens(i) = 1/n Σⱼ score_j(i) (default; the seed's formula).</summary>
    Mean,

    /// <summary>Per-pixel median; for even n the mean of the two middle values.</summary>
    Median,
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
            var kind = Kind == AggregationKind.Median ? "median" : "mean";
            return Normalisation switch
            {
                MemberNormalisation.None => kind,
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
        [.. new[] { "mean", "median" }.SelectMany(k => new[] { k, k + "+max-abs", k + "+sum", k + "+rank", k + "+second-moment" })];

    /// <summary>
    /// Parses <c>mean</c>, <c>median</c>, or either followed by <c>+max-abs</c>, <c>+sum</c>, <c>+rank</c> or
    /// <c>+second-moment</c> (case-insensitive; <c>_</c> for <c>-</c>, <c>sum_to_one</c> for <c>sum</c>: every <see cref="Name"/> reads back).
    /// </summary>
    /// <exception cref="ArgumentException">Any other text; the message lists the accepted names.</exception>
    public static EnsembleAggregator Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().ToLowerInvariant().Replace('_', '-').Split('+');
        AggregationKind? kind = parts[0] switch { "mean" => AggregationKind.Mean, "median" => AggregationKind.Median, _ => null };
        MemberNormalisation? normalisation = parts.Length switch
        {
            1 => MemberNormalisation.None,
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
        return Kind == AggregationKind.Median ? MedianOf(prepared) : MeanOf(prepared);
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

    private static SaliencyMap MedianOf(IReadOnlyList<SaliencyMap> members)
    {
        var first = members[0];
        var len = first.Values.Length;
        var n = members.Count;
        var column = new float[n];
        var result = new float[len];
        for (var i = 0; i < len; i++)
        {
            for (var j = 0; j < n; j++)
            {
                column[j] = members[j].Values[i];
            }

            Array.Sort(column);
            result[i] = n % 2 == 1 ? column[n / 2] : (float)((column[(n / 2) - 1] + (double)column[n / 2]) / 2);
        }

        return new SaliencyMap(first.Height, first.Width, result);
    }
}
