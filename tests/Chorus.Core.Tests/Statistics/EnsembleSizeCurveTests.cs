using Chorus.Core.Tests.Evaluation;
using Chorus.Metrics;
using Chorus.Statistics;

namespace Chorus.Core.Tests.Statistics;

public class EnsembleSizeCurveTests
{
    [Fact]
    public void Compute_NoisyMembers_ImprovesWithKAndIsDeterministic()
    {
        // Given 6 noisy members of 10 images
        var (maps, rois) = EnsembleEvaluatorTests.NoisyEnsemble(members: 6, images: 10, size: 12, sigma: 1.0, seed: 21);
        IExplanationMetric[] metrics = [new PearsonCorrelation(), new CentreOfMassDistance()];

        // When
        var a = EnsembleSizeCurve.Compute(maps, rois, metrics, orders: 5, seed: 1);
        var b = EnsembleSizeCurve.Compute(maps, rois, metrics, orders: 5, seed: 1);

        // Then
        var pearson = a["pearson"];
        Assert.Equal(Enumerable.Range(1, 6), pearson.Select(p => p.K));
        Assert.True(pearson[5].Mean > pearson[2].Mean && pearson[2].Mean > pearson[0].Mean);
        Assert.Equal(0, pearson[5].Std, 6); // k = n: every order is the full ensemble
        Assert.True(pearson[0].Std > 0);
        Assert.Equal(pearson, b["pearson"]);
        Assert.Equal(5, pearson[0].Orders);
    }

    [Fact]
    public void Compute_KEqualsN_MatchesEvaluatorEnsMean()
    {
        var (maps, rois) = EnsembleEvaluatorTests.NoisyEnsemble(members: 4, images: 8, size: 10, sigma: 0.7, seed: 22);
        var curve = EnsembleSizeCurve.Compute(maps, rois, [new RocAuc()], orders: 1);
        var eval = new Chorus.Evaluation.EnsembleEvaluator([new RocAuc()]).Evaluate(maps, rois);
        Assert.Equal(eval["auc"].EnsSummary.Mean, curve["auc"][3].Mean, 9);
    }
}
