using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Metrics;
using Chorus.Statistics;

namespace Chorus.Core.Tests.Evaluation;

public class CustomMetricTests
{
    /// <summary>A user metric outside the built-in fast path: the map's mean value.</summary>
    private sealed class MeanValue : IExplanationMetric
    {
        public string Name => "mean_value";

        public bool HigherIsBetter => true;

        public double Compute(SaliencyMap map, SaliencyMap roi) => map.Values.Average(x => (double)x);
    }

    [Fact]
    public void Evaluate_CustomMetric_UsesPlainMapsAndMatchesHandValues()
    {
        // Given two members with mean values 1 and 3 on one image
        SaliencyMap[][] maps = [[TestMaps.Constant(2, 2, 1)], [TestMaps.Constant(2, 2, 3)]];
        var roi = TestMaps.Square(2, 2, 0, 0, 1);

        // When
        var result = new EnsembleEvaluator([new MeanValue(), new PearsonCorrelation()]).Evaluate(maps, [roi]);

        // Then: ens = mean of the averaged map (2) and exp = mean of (1, 3) = 2; Pearson is undefined for constants
        Assert.Equal(2.0, result["mean_value"].Ens[0], 12);
        Assert.Equal(2.0, result["mean_value"].Exp[0], 12);
        Assert.True(double.IsNaN(result["pearson"].Ens[0]));
        Assert.Equal(2, result["pearson"].MembersSkipped[0]);
        Assert.Equal(1, result["pearson"].EnsSummary.ImagesUndefined);
    }

    [Fact]
    public void Constructor_DuplicateMetricNames_Throws()
    {
        Assert.Throws<ArgumentException>(() => new EnsembleEvaluator([new RocAuc(), new RocAuc()]));
    }

    [Fact]
    public void EnsembleSizeCurve_NaNInRoi_ThrowsArgumentException()
    {
        var (maps, rois) = EnsembleEvaluatorTests.NoisyEnsemble(members: 2, images: 3, size: 8, sigma: 0.5, seed: 4);
        rois[1]!.Values[0] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => EnsembleSizeCurve.Compute(maps, rois, [new RocAuc()], orders: 2));
        Assert.Contains("non-finite", e.Message);
    }
}
