using Chorus.Metrics;

namespace Chorus.Core.Tests.Metrics;

public class RankingTests
{
    private static float[] RandomWithTies(int seed, int n)
    {
        // Values from a small set (many ties), with negatives, −0 and +0, extremes
        var rng = new Random(seed);
        float[] pool = [-3.5f, -1f, -0f, 0f, 1e-30f, 0.25f, 2f, float.MaxValue, float.MinValue, -1e-30f];
        return [.. Enumerable.Range(0, n).Select(_ => rng.Next(3) == 0 ? pool[rng.Next(pool.Length)] : (float)(rng.NextDouble() - 0.5))];
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 500)]
    [InlineData(4, 4096)]
    public void AverageRanks_MatchesQuadraticDefinition(int seed, int n)
    {
        // Given: rank(i) = #(v < vᵢ) + (#(v == vᵢ) + 1)/2
        var v = RandomWithTies(seed, n);

        // When
        var ranks = Ranking.AverageRanks(v);

        // Then
        for (var i = 0; i < n; i += Math.Max(1, n / 97))
        {
            var less = v.Count(x => x < v[i]);
            var equal = v.Count(x => x == v[i]);
            Assert.Equal(less + ((equal + 1) / 2.0), ranks[i]);
        }
    }

    [Theory]
    [InlineData(6, 1)]
    [InlineData(7, 300)]
    public void AverageRanksFromDescending_EqualsAverageRanks(int seed, int n)
    {
        var v = RandomWithTies(seed, n);
        Assert.Equal(Ranking.AverageRanks(v), Ranking.AverageRanksFromDescending(v, Ranking.OrderDescending(v)));
    }

    [Fact]
    public void OrderDescending_IsSortedWithTiesInIndexOrder()
    {
        var v = RandomWithTies(5, 1000);

        var order = Ranking.OrderDescending(v);

        Assert.Equal(Enumerable.Range(0, 1000), order.Order());
        for (var i = 1; i < order.Length; i++)
        {
            var (a, b) = (v[order[i - 1]], v[order[i]]);
            Assert.True(a > b || (a == b && order[i - 1] < order[i]), $"position {i}: {a} then {b}");
        }
    }

    [Fact]
    public void ExpectedHitsInTopK_TieAtBoundary_CountsShare()
    {
        // top-3 of [5, 1, 1, 1, 1]: pixel 0 plus 2 of the 4 tied ones; ROI = {0, 1} → 1 + 2·(1/4)
        float[] v = [5, 1, 1, 1, 1];
        bool[] roi = [true, true, false, false, false];
        Assert.Equal(1.5, Ranking.ExpectedHitsInTopK(v, roi, 3), 12);
    }
}
