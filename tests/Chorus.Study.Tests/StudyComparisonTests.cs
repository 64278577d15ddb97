using Chorus.Ensembles;
using Chorus.Explanations;

namespace Chorus.Study.Tests;

public class StudyComparisonTests
{
    [Fact]
    public void Weighted_MakesThePlainMeanTheProbabilityWeightedMean()
    {
        // Given: 2 members, 2 images, probabilities 0.9/0.1 on image 0 and equal on image 1
        SaliencyMap[][] maps =
        [
            [new SaliencyMap(1, 2, [1f, 0f]), new SaliencyMap(1, 2, [2f, 2f])],
            [new SaliencyMap(1, 2, [0f, 1f]), new SaliencyMap(1, 2, [4f, 0f])],
        ];
        double[][] p = [[0.9, 0.5], [0.1, 0.5]];

        // When
        var scaled = StudyComparison.Weighted(maps, p);

        // Then: image 0 is 0.9·m0 + 0.1·m1; image 1 the plain mean
        Assert.Equal([0.9f, 0.1f], EnsembleAggregator.Mean.Aggregate([scaled[0][0], scaled[1][0]]).Values.Select(v => MathF.Round(v, 6)));
        Assert.Equal([3f, 1f], EnsembleAggregator.Mean.Aggregate([scaled[0][1], scaled[1][1]]).Values);
    }

    [Fact]
    public void AccuracyWeights_SumToOne_FollowTheAccuracies_AndRefuseNaN()
    {
        var w = StudyComparison.AccuracyWeights([0.9, 0.6, 0.3, 0.0]);

        Assert.Equal(1.0, w.Sum(), 12);
        Assert.Equal([0.5, 1.0 / 3, 1.0 / 6, 0.0], w.Select(x => Math.Round(x, 12)), new RoundedComparer());
        Assert.Equal([0.25, 0.25, 0.25, 0.25], StudyComparison.AccuracyWeights([0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => StudyComparison.AccuracyWeights([0.5, double.NaN]));
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;

        public int GetHashCode(double obj) => 0;
    }
}
