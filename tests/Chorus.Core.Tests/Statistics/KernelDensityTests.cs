using Chorus.Statistics;

namespace Chorus.Core.Tests.Statistics;

public class KernelDensityTests
{
    private static readonly double[] Values = [.. Enumerable.Range(0, 40).Select(i => Math.Sin(i * 1.7) + (i * 0.02))];

    [Fact]
    public void Estimate_IntegratesToOne()
    {
        // When
        var (x, d) = KernelDensity.Estimate(Values, points: 400);

        // Then: trapezoid rule over the grid (cut at 3 bandwidths holds ≈ 99.7% of the mass)
        var area = 0.0;
        for (var i = 1; i < x.Length; i++)
        {
            area += (x[i] - x[i - 1]) * (d[i] + d[i - 1]) / 2;
        }

        Assert.InRange(area, 0.99, 1.001);
    }

    [Fact]
    public void SilvermanBandwidth_MatchesTheRuleOfThumb()
    {
        // Given: 1..10 → σ = 3.0277, IQR (numpy) = 7.75 − 3.25 = 4.5, so min(σ, IQR/1.34) = 3.0277
        double[] v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        // When
        var h = KernelDensity.SilvermanBandwidth(v);

        // Then
        Assert.Equal(0.9 * 3.0276503540974917 * Math.Pow(10, -0.2), h, 12);
    }

    [Fact]
    public void Estimate_NoSpread_IsEmpty_AndNaNIsIgnored()
    {
        // When
        var (x, d) = KernelDensity.Estimate([2.0, 2.0, double.NaN]);

        // Then
        Assert.Empty(x);
        Assert.Empty(d);
        Assert.Equal(KernelDensity.SilvermanBandwidth(Values), KernelDensity.SilvermanBandwidth([.. Values, double.NaN]));
    }
}
