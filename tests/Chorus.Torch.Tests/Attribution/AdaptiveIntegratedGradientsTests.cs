using Chorus.Torch.Attribution;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class AdaptiveIntegratedGradientsTests
{
    [Theory]
    [InlineData(50, 8, new[] { 8, 16, 32, 50 })]
    [InlineData(8, 8, new[] { 8 })]
    [InlineData(20, 4, new[] { 4, 8, 16, 20 })]
    [InlineData(5, 8, new[] { 5 })]
    public void Ladder_DoublesFromTheStartUpToTheCap(int steps, int start, int[] expected)
    {
        var options = new IntegratedGradientsOptions(steps) { Tolerance = 0.01, StartSteps = start };

        Assert.Equal(expected, options.Ladder());
        Assert.Equal([steps], (options with { Tolerance = null }).Ladder());
    }

    [Fact]
    public void TextForm_WithoutTolerance_IsWhatRunFoldersRecordedBeforeTheOption()
    {
        // The exact text of a manifest written before --ig-tolerance existed: such run folders must still resume.
        Assert.Equal(
            "IntegratedGradientsOptions { Steps = 50, Rule = GaussLegendre, Baseline = , InternalBatchSize = 20 }",
            new IntegratedGradientsOptions { Steps = 50, InternalBatchSize = 20 }.ToString());
        Assert.Equal(
            "IntegratedGradientsOptions { Steps = 50, Rule = GaussLegendre, Baseline = , InternalBatchSize = 20, Tolerance = 0.05, StartSteps = 8 }",
            new IntegratedGradientsOptions { Steps = 50, InternalBatchSize = 20, Tolerance = 0.05 }.ToString());
        Assert.NotEqual(new IntegratedGradientsOptions { Tolerance = 0.05 }, new IntegratedGradientsOptions { Tolerance = 0.01 });
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Tolerance_NotAPositiveNumber_IsRefused(double tolerance)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients(new IntegratedGradientsOptions { Tolerance = tolerance }));
        Assert.Equal("Tolerance", e.ParamName);
    }

    [Fact]
    public void EachImage_KeepsTheFirstRungWithinTheTolerance_AndEqualsTheFixedStepAttribution()
    {
        // Given: a nonlinear CNN and images whose gaps fall on different rungs
        using var model = Cnn();
        using var x = Randn(31, 6, 3, 8, 8);
        using var t = Targets(0, 1, 2, 3, 0, 1);
        var ladder = new IntegratedGradientsOptions(24) { Tolerance = 1, StartSteps = 3 }.Ladder();
        var perRung = ladder.Select(k =>
        {
            var a = new IntegratedGradients(new IntegratedGradientsOptions(k)).AttributeWithConvergence(model, x, t, out var r);
            return (Steps: k, Attr: a, Report: r);
        }).ToList();

        // A tolerance between the first rung's gaps, so that images stop on different rungs.
        var firstGaps = perRung[0].Report.RelativeGaps.Order().ToArray();
        var options = new IntegratedGradientsOptions(24) { Tolerance = (firstGaps[2] + firstGaps[3]) / 2, StartSteps = 3 };

        // When
        using var attr = new IntegratedGradients(options).AttributeWithConvergence(model, x, t, out var report);

        // Then: per image, the fixed-step attribution of the first rung within the tolerance (or the cap)
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var first = perRung.FindIndex(r => r.Report.RelativeGaps[i] <= options.Tolerance!.Value);
                var expected = first < 0 ? perRung[^1] : perRung[first];
                Assert.Equal(expected.Steps, report.Steps[i]);
                Assert.Equal(expected.Report.RelativeGaps[i], report.RelativeGaps[i], 1e-4);
                Assert.Equal(expected.Report.Deltas[i], report.Deltas[i], 1e-4);
                using var got = attr[i];
                using var want = expected.Attr[i];
                AssertClose(want, got, 1e-6, 1e-5);
            }

            Assert.True(report.Steps.Distinct().Count() >= 2, $"the test needs images on different rungs; steps {string.Join(",", report.Steps)}");
        }
        finally
        {
            perRung.ForEach(r => r.Attr.Dispose());
        }
    }

    [Fact]
    public void LooseTolerance_StopsAtTheFirstRung_TightOne_ReachesTheCap()
    {
        using var model = Cnn();
        using var x = Randn(32, 3, 3, 8, 8);
        using var t = Targets(1, 2, 3);

        using var loose = new IntegratedGradients(new IntegratedGradientsOptions(16) { Tolerance = 1e9 }).AttributeWithConvergence(model, x, t, out var l);
        using var tight = new IntegratedGradients(new IntegratedGradientsOptions(16) { Tolerance = 1e-12 }).AttributeWithConvergence(model, x, t, out var h);
        using var fixed8 = new IntegratedGradients(new IntegratedGradientsOptions(8)).Attribute(model, x, t);
        using var fixed16 = new IntegratedGradients(new IntegratedGradientsOptions(16)).Attribute(model, x, t);

        Assert.All(l.Steps, s => Assert.Equal(8, s));
        Assert.All(h.Steps, s => Assert.Equal(16, s));
        AssertClose(fixed8, loose, 1e-6, 1e-5);
        AssertClose(fixed16, tight, 1e-6, 1e-5);
        Assert.All(h.RelativeGaps, g => Assert.True(g > 1e-12));
    }
}
