using System.Collections.Concurrent;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Metrics;

namespace Chorus.Core.Tests.Ensembles;

/// <summary>Weighted rules: weights sum to one and come from the maps alone, never from the regions they are scored on.</summary>
public class AggregationWeightsTests
{
    [Fact]
    public void CrhWeights_SumToOne_AndLeaveTheOutlierOut()
    {
        var agree = TestMaps.Row(0.2f, 0.4f, 0.9f, 0.1f);
        SaliencyMap[] members = [agree, TestMaps.Row(0.21f, 0.4f, 0.88f, 0.1f), agree, TestMaps.Row(1f, 0f, 0f, 1f)];

        var weights = EnsembleAggregator.Parse("crh").CrhWeights(members);

        Assert.Equal(1.0, weights.Sum(), 12);
        Assert.All(weights, w => Assert.True(w >= 0));
        Assert.True(weights[3] < 1e-3, $"outlier weight {weights[3]}");
        Assert.Throws<InvalidOperationException>(() => EnsembleAggregator.Mean.CrhWeights(members));
    }

    [Theory]
    [InlineData("crh")]
    [InlineData("agg-var")]
    [InlineData("trimmed-mean")]
    [InlineData("median+rank")]
    public void TheEvaluator_GivesAggregatorsTheMembersMapsOnly_AndTheirMapsDoNotDependOnTheRegions(string rule)
    {
        // Given: three members of two images, and two different sets of regions
        SaliencyMap[][] maps =
        [
            [TestMaps.Row(1, 0, 0, 2), TestMaps.Row(0, 3, 1, 0)],
            [TestMaps.Row(2, 0, 1, 1), TestMaps.Row(1, 2, 0, 0)],
            [TestMaps.Row(0, 1, 0, 3), TestMaps.Row(0, 2, 2, 1)],
        ];
        var members = maps.Select(m => (IReadOnlyList<SaliencyMap>)m).ToList();
        SaliencyMap?[] roisA = [TestMaps.Row(1, 1, 0, 0), TestMaps.Row(0, 0, 1, 1)];
        SaliencyMap?[] roisB = [TestMaps.Row(0, 0, 1, 1), TestMaps.Row(1, 0, 0, 1)];
        var spyA = new Spy(EnsembleAggregator.Parse(rule));
        var spyB = new Spy(EnsembleAggregator.Parse(rule));
        var metrics = new[] { MetricRegistry.Create("pearson") };

        // When: the same maps are scored against either
        new EnsembleEvaluator(metrics, spyA).Evaluate(members, roisA);
        new EnsembleEvaluator(metrics, spyB).Evaluate(members, roisB);

        // Then: every map the aggregator saw is a member's map (never a region), and the ensemble maps are identical
        var memberMaps = maps.SelectMany(m => m).ToHashSet(ReferenceEqualityComparer.Instance);
        Assert.All(spyA.Seen.Concat(spyB.Seen), m => Assert.Contains(m, memberMaps));
        Assert.Equal(spyA.Made.OrderBy(Key).Select(Key), spyB.Made.OrderBy(Key).Select(Key));
    }

    private static string Key(SaliencyMap m) => string.Join(",", m.Values);

    private sealed class Spy(IEnsembleAggregator inner) : IEnsembleAggregator
    {
        public ConcurrentBag<object> Seen { get; } = [];

        public ConcurrentBag<SaliencyMap> Made { get; } = [];

        public string Name => inner.Name;

        public SaliencyMap Aggregate(IReadOnlyList<SaliencyMap> members)
        {
            foreach (var m in members)
            {
                Seen.Add(m);
            }

            var made = inner.Aggregate(members);
            Made.Add(made);
            return made;
        }
    }
}
