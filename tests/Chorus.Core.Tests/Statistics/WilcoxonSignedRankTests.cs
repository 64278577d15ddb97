using Chorus.Statistics;

namespace Chorus.Core.Tests.Statistics;

public class WilcoxonSignedRankTests
{
    // scipy.stats.wilcoxon docs example (Cushny & Peebles / Fisher's corn data as differences):
    // |d| are distinct, so ranks are 1..15; the negatives −48 and −67 hold ranks 10 and 14, so W⁻ = 24 = T.
    private static readonly double[] Corn = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];

    [Fact]
    public void Test_ScipyDocExample_ExactPValue()
    {
        // When
        var r = WilcoxonSignedRank.TestDifferences(Corn);

        // Then: 676 of the 2¹⁵ sign patterns have W ≤ 24, p = 2·676/32768 (scipy: 0.041259765625)
        Assert.Equal(WilcoxonMethod.Exact, r.Method);
        Assert.Equal(24, r.Statistic);
        Assert.Equal(0.041259765625, r.PValue, 15);
        Assert.Equal(15, r.N);
    }

    [Fact]
    public void Test_ScipyDocExample_NormalApproximation()
    {
        // μ = 15·16/4 = 60, σ² = 15·16·31/24 = 310, z = (24 − 60)/√310 ≈ −2.0447 (scipy method='approx': 0.04088813291185591)
        var r = WilcoxonSignedRank.TestDifferences(Corn, method: WilcoxonMethod.Normal);

        Assert.Equal(-36 / Math.Sqrt(310), r.Z, 12);
        Assert.Equal(0.04088813291185591, r.PValue, 12);
    }

    [Fact]
    public void Test_AllPositiveThree_ExactPIsQuarter()
    {
        // T = 0; only the all-positive pattern of 8 has W⁻ = 0: p = 2/8
        var r = WilcoxonSignedRank.Test([3.0, 5, 9], [1.0, 2, 3]);
        Assert.Equal(0, r.Statistic);
        Assert.Equal(0.25, r.PValue, 15);
    }

    [Fact]
    public void Test_TiesUseNormalWithTieCorrection()
    {
        // d = [1, −2, 2, 3]: ranks 1, 2.5, 2.5, 4 → W⁺ = 7.5, W⁻ = 2.5 = T; μ = 5,
        // σ² = (4·5·9 − ½·2·(4 − 1))/24 = 7.375, z = −2.5/√7.375 ≈ −0.9206, p ≈ 0.357273 (erfc by Python's math)
        var r = WilcoxonSignedRank.TestDifferences([1.0, -2, 2, 3]);

        Assert.Equal(WilcoxonMethod.Normal, r.Method);
        Assert.Equal(2.5, r.Statistic);
        Assert.Equal(-2.5 / Math.Sqrt(7.375), r.Z, 12);
        Assert.Equal(0.35727255903187477, r.PValue, 9);
    }

    [Fact]
    public void Test_ZerosDroppedByWilcoxAndCorrectedByPratt()
    {
        var d = new[] { 0.0, 1, -2, 2, 3 };

        // Wilcox: the zero is dropped, same as the tie example
        var wilcox = WilcoxonSignedRank.TestDifferences(d);
        Assert.Equal(1, wilcox.Zeros);
        Assert.Equal(4, wilcox.N);
        Assert.Equal(0.35727255903187477, wilcox.PValue, 9);

        // Pratt: ranks of |d| incl. the zero are 1, 2, 3.5, 3.5, 5 → W⁺ = 10.5, W⁻ = 3.5 = T;
        // μ = 5·6/4 − 1·2/4 = 7, σ² = (5·6·11 − 1·2·3 − ½·2·3)/24 = 13.375, p ≈ 0.338557
        var pratt = WilcoxonSignedRank.TestDifferences(d, ZeroMethod.Pratt);
        Assert.Equal(3.5, pratt.Statistic);
        Assert.Equal(0.3385570100180998, pratt.PValue, 9);
    }

    [Fact]
    public void Test_LargeSample_UsesNormal_AndSymmetricDifferencesGiveLargeP()
    {
        var d = Enumerable.Range(1, 40).Select(i => i % 2 == 0 ? i * 1.0 : -i * 1.0).ToArray();
        var r = WilcoxonSignedRank.TestDifferences(d);
        Assert.Equal(WilcoxonMethod.Normal, r.Method);
        Assert.True(r.PValue > 0.5);
    }

    [Fact]
    public void Test_AllZeroDifferences_PIsOne()
    {
        var r = WilcoxonSignedRank.Test([1.0, 2], [1.0, 2]);
        Assert.Equal(1, r.PValue);
        Assert.Equal(2, r.Zeros);
    }
}
