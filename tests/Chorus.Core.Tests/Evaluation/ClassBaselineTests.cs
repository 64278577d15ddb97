using Chorus.Evaluation;

namespace Chorus.Core.Tests.Evaluation;

public class ClassBaselineTests
{
    [Fact]
    public void Imbalanced_MajorityRateIsTheBaseline_NotOneOverClasses()
    {
        // 72 % of 250 held-out images in class 0 (the case): members at 67.8 % are worse than always answering 0.
        var labels = Enumerable.Repeat(0, 180).Concat(Enumerable.Repeat(1, 50)).Concat(Enumerable.Repeat(2, 20)).ToArray();
        var baseline = ClassBaseline.FromLabels(labels, 3);

        Assert.Equal(0, baseline.MajorityClass);
        Assert.Equal(0.72, baseline.MajorityRate, 12);
        Assert.Equal(1.0 / 3, baseline.Chance, 12);
        Assert.Equal(2 * Math.Sqrt(0.72 * 0.28 / 250), baseline.AccuracyMargin, 12);
        Assert.False(baseline.IsClearlyAbove(0.678, 0.6));
        Assert.False(baseline.IsClearlyAbove(0.73, 0.6));             // above, but within two standard errors
        Assert.True(baseline.IsClearlyAbove(0.85, 0.7));
        Assert.False(baseline.IsClearlyAbove(0.85, 1.0 / 3));         // high accuracy by leaning on the majority class only
    }

    [Fact]
    public void Balanced_ChanceAndMajorityAgree()
    {
        var labels = Enumerable.Range(0, 96).Select(i => i % 8).ToArray();
        var baseline = ClassBaseline.FromLabels(labels, 8);
        Assert.Equal(0.125, baseline.MajorityRate, 12);
        Assert.Equal(0, baseline.MajorityClass);                      // ties: the lowest class
        Assert.False(baseline.IsClearlyAbove(0.125, 0.125));          // the members at chance
        Assert.True(baseline.IsClearlyAbove(0.865, 0.86));
    }

    [Fact]
    public void BalancedAccuracy_IsTheMeanPerClassRecall()
    {
        int[] labels = [0, 0, 0, 0, 1, 1, 2];
        int[] predictions = [0, 0, 0, 0, 0, 1, 0];
        // recall: class 0 4/4, class 1 1/2, class 2 0/1
        Assert.Equal((1 + 0.5 + 0) / 3, ClassBaseline.BalancedAccuracy(labels, predictions), 12);
        Assert.Throws<ArgumentException>(() => ClassBaseline.BalancedAccuracy(labels, [0]));
    }

    [Fact]
    public void BadLabels_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => ClassBaseline.FromLabels([], 3));
        Assert.Throws<ArgumentException>(() => ClassBaseline.FromLabels([0, 3], 3));
        Assert.Throws<ArgumentException>(() => ClassBaseline.FromLabels([0, 0], 1));
    }
}
