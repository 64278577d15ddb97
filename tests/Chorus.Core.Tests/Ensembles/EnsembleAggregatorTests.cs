using Chorus.Ensembles;
using Chorus.Explanations;

namespace Chorus.Core.Tests.Ensembles;

public class EnsembleAggregatorTests
{
    private static readonly SaliencyMap[] Three =
    [
        TestMaps.Row(1, 0, -3, 4),
        TestMaps.Row(2, 0, 3, 8),
        TestMaps.Row(6, 0, 3, 0),
    ];

    [Fact]
    public void Aggregate_Mean_IsPerPixelMean()
    {
        var ens = EnsembleAggregator.Mean.Aggregate(Three);
        Assert.Equal([3f, 0f, 1f, 4f], ens.Values);
        Assert.Equal("mean", EnsembleAggregator.Mean.Name);
    }

    [Fact]
    public void Aggregate_Median_OddAndEvenMemberCounts()
    {
        var median = new EnsembleAggregator(AggregationKind.Median);
        Assert.Equal([2f, 0f, 3f, 4f], median.Aggregate(Three).Values);
        Assert.Equal([1.5f, 0f, 0f, 6f], median.Aggregate(Three[..2]).Values);
    }

    [Fact]
    public void Normalise_MaxAbs_SumToOne_SecondMoment_ScaleAsDocumented()
    {
        var map = TestMaps.Row(3, -4, 0, 1);

        Assert.Equal([0.75f, -1f, 0f, 0.25f], MapNormalisation.Apply(map, MemberNormalisation.MaxAbs).Values);
        Assert.Equal([0.375f, -0.5f, 0f, 0.125f], MapNormalisation.Apply(map, MemberNormalisation.SumToOne).Values);

        // mean(x²) = (9 + 16 + 0 + 1)/4 = 6.5
        var sm = MapNormalisation.Apply(map, MemberNormalisation.SecondMoment).Values;
        Assert.Equal(1.0, sm.Average(x => (double)x * x), 6);
        Assert.Equal(3 / Math.Sqrt(6.5), sm[0], 6);
        Assert.Equal([3f, -4f, 0f, 1f], map.Values); // input untouched
    }

    [Fact]
    public void Normalise_Rank_GivesPercentilesWithTiesAveraged()
    {
        // ranks of [5, 1, 5, 2] are [3.5, 1, 3.5, 2] → (r − 1)/3
        var r = MapNormalisation.Apply(TestMaps.Row(5, 1, 5, 2), MemberNormalisation.Rank).Values;
        Assert.Equal(new[] { 2.5 / 3, 0, 2.5 / 3, 1.0 / 3 }, r.Select(x => (double)x), new ToleranceComparer(1e-6));
        Assert.All(MapNormalisation.Apply(TestMaps.Constant(2, 2, 7), MemberNormalisation.Rank).Values, x => Assert.Equal(0.5f, x));
    }

    [Fact]
    public void Normalise_ZeroMap_IsReturnedUnchanged()
    {
        foreach (var n in Enum.GetValues<MemberNormalisation>().Where(n => n != MemberNormalisation.Rank))
        {
            Assert.All(MapNormalisation.Apply(TestMaps.Constant(2, 2, 0), n).Values, x => Assert.Equal(0f, x));
        }
    }

    [Fact]
    public void Aggregate_WithMaxAbsNormalisation_NormalisesEachMemberFirst()
    {
        // Given members on different scales: [1, 0] and [0, 100]
        var agg = new EnsembleAggregator(normalisation: MemberNormalisation.MaxAbs);

        // When
        var ens = agg.Aggregate([TestMaps.Row(1, 0), TestMaps.Row(0, 100)]);

        // Then both count equally
        Assert.Equal([0.5f, 0.5f], ens.Values);
        Assert.Equal("mean+max_abs", agg.Name);
    }

    [Fact]
    public void Agreement_IsPerPixelPopulationStd()
    {
        // pixel 0: {1, 2, 6} mean 3, deviations² 4+1+9 = 14 → √(14/3); pixel 1: all 0
        var std = EnsembleAggregator.Agreement(Three).Values;
        Assert.Equal(Math.Sqrt(14.0 / 3), std[0], 5);
        Assert.Equal(0f, std[1]);
    }

    [Fact]
    public void Aggregate_SizeMismatchOrNaNOrEmpty_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => EnsembleAggregator.Mean.Aggregate([TestMaps.Row(1, 2), TestMaps.Row(1, 2, 3)]));
        Assert.Contains("Member 1", e.Message);
        var nan = Assert.Throws<ArgumentException>(() => EnsembleAggregator.Mean.Aggregate([TestMaps.Row(1, 2), TestMaps.Row(float.NaN, 2)]));
        Assert.Contains("non-finite", nan.Message);
        Assert.Throws<ArgumentException>(() => EnsembleAggregator.Mean.Aggregate([]));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void TrimmedMean_DropsTheTenthAtEachEnd_AndIsTheMeanBelowTenMembers()
    {
        var trimmed = EnsembleAggregator.Parse("trimmed-mean");
        SaliencyMap[] ten = [.. Enumerable.Range(0, 9).Select(v => TestMaps.Row(v, -v)), TestMaps.Row(100, -100)];

        // n = 10: the lowest and the highest value of each pixel are left out.
        Assert.Equal([4.5f, -4.5f], trimmed.Aggregate(ten).Values);

        // n = 3: nothing is cut.
        Assert.Equal(EnsembleAggregator.Mean.Aggregate(Three).Values, trimmed.Aggregate(Three).Values);
        Assert.Equal("trimmed-mean", trimmed.Name);
    }

    [Fact]
    public void AggVar_DividesTheMeanByTheSpreadPlusEpsilon_OnMapsScaledToMaxAbsOne()
    {
        // Given: two members already at max |value| 1; pixel 0 agreed, pixel 1 split, pixel 2 partly apart
        var aggVar = EnsembleAggregator.Parse("agg-var");
        SaliencyMap[] members = [TestMaps.Row(1f, 0.5f, 1f), TestMaps.Row(1f, -0.5f, 0.6f)];

        var result = aggVar.Aggregate(members).Values;

        // mean / (σ + 0.1): 1 / 0.1, 0 / 0.6, 0.8 / (0.2 + 0.1)
        Assert.Equal(10.0, result[0], 4);
        Assert.Equal(0.0, result[1], 6);
        Assert.Equal(0.8 / 0.3, result[2], 4);
        Assert.Equal("agg-var+max_abs", aggVar.Name);

        // Scaling a member changes nothing (each is scaled to max |value| 1 first); +none uses the raw values.
        SaliencyMap[] scaled = [TestMaps.Row(1000f, 500f, 1000f), members[1]];
        Assert.Equal(result, aggVar.Aggregate(scaled).Values);
        Assert.NotEqual(result, EnsembleAggregator.Parse("agg-var+none").Aggregate(scaled).Values);
    }

    [Fact]
    public void Disagreement_IsZeroWhereMembersAgree_AndLargeWhereTheyCancel()
    {
        SaliencyMap[] members = [TestMaps.Row(1f, 0.5f, 0f), TestMaps.Row(1f, -0.5f, 0f)];

        var d = EnsembleAggregator.Disagreement(members).Values;

        // σ / (|mean| + 0.05 · max |mean|): 0 / 1.05, 0.5 / 0.05, 0 / 0.05
        Assert.Equal(0.0, d[0], 6);
        Assert.Equal(10.0, d[1], 4);
        Assert.Equal(0.0, d[2], 6);
    }

    [Fact]
    public void Crh_FollowsTheAgreeingMembers_AndLeavesIdenticalMembersAlone()
    {
        // Given: three members that agree and one far away (raw values, no normalisation)
        var crh = EnsembleAggregator.Parse("crh+none");
        var agree = TestMaps.Row(0.2f, 0.4f, 0.9f, 0.1f);
        SaliencyMap[] members = [agree, agree, agree, TestMaps.Row(1f, 0f, 0f, 1f)];

        // When
        var consensus = crh.Aggregate(members);

        // Then: the outlier's weight is about ε / MSE, so the consensus is the agreeing map; the mean is not
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(agree.Values[i], consensus.Values[i], 5);
        }

        Assert.NotEqual(agree.Values[0], EnsembleAggregator.Mean.Aggregate(members).Values[0], 3);
        Assert.Equal(agree.Values, crh.Aggregate([agree, agree]).Values);
    }

    [Fact]
    public void Crh_WeighsMembersByTheirDistanceToTheConsensus_AsIteratedByHand()
    {
        // Two rounds by hand are not needed: with members symmetric about one value, the consensus is that value.
        var crh = EnsembleAggregator.Parse("crh+none");
        var low = TestMaps.Row(0f, 1f);
        var mid = TestMaps.Row(0.5f, 0.5f);
        var high = TestMaps.Row(1f, 0f);
        Assert.Equal([0.5f, 0.5f], crh.Aggregate([low, mid, high]).Values);

        // crh alone scales members to max |value| = 1 first (the range PyHealth's ε is meant for), and names it.
        Assert.Equal("crh+max_abs", EnsembleAggregator.Parse("crh").Name);
        Assert.Equal("crh+none", crh.Name);
        Assert.Equal(crh.Name, EnsembleAggregator.Parse(crh.Name).Name);
    }
}
