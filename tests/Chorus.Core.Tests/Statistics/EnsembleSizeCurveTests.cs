using Chorus.Core.Tests.Evaluation;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Compute_MeanFastPath_MatchesGenericPathForAllMetrics(bool wideRange)
    {
        // Given 7 members (wide dynamic range: double sums of the floats are inexact, so summation order matters)
        var (maps, rois) = wideRange ? WideRange(members: 7, images: 12, size: 14, seed: 5)
            : EnsembleEvaluatorTests.NoisyEnsemble(members: 7, images: 12, size: 14, sigma: 0.8, seed: 23);
        var metrics = MetricRegistry.Names.Select(MetricRegistry.Create).ToList();

        // When the plain mean (fast path) and a wrapper the fast path does not recognise (generic path) run
        var fast = EnsembleSizeCurve.Compute(maps, rois, metrics, orders: 6, seed: 3);
        var generic = EnsembleSizeCurve.Compute(maps, rois, metrics, new WrappedMean(), orders: 6, seed: 3);

        // Then every point agrees up to float summation order
        foreach (var metric in metrics)
        {
            var (a, b) = (fast[metric.Name], generic[metric.Name]);
            Assert.Equal(b.Count, a.Count);
            for (var k = 0; k < a.Count; k++)
            {
                Assert.Equal(b[k].K, a[k].K);
                Assert.Equal(b[k].Orders, a[k].Orders);
                Assert.True(Math.Abs(a[k].Mean - b[k].Mean) <= 1e-6, $"{metric.Name} k={k + 1}: mean {a[k].Mean} vs {b[k].Mean}");
                Assert.True(Math.Abs(a[k].Std - b[k].Std) <= 1e-6 || (double.IsNaN(a[k].Std) && double.IsNaN(b[k].Std)), $"{metric.Name} k={k + 1}: std {a[k].Std} vs {b[k].Std}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Compute_MeanFastPath_KEqualsNIsEvaluatorEnsAvgBitForBit(bool wideRange)
    {
        var (maps, rois) = wideRange ? WideRange(members: 11, images: 10, size: 12, seed: 6)
            : EnsembleEvaluatorTests.NoisyEnsemble(members: 11, images: 10, size: 12, sigma: 1.0, seed: 24);
        var metrics = MetricRegistry.Names.Select(MetricRegistry.Create).ToList();
        var eval = new EnsembleEvaluator(metrics).Evaluate(maps, rois);

        var one = EnsembleSizeCurve.Compute(maps, rois, metrics, orders: 1, seed: 9);
        var many = EnsembleSizeCurve.Compute(maps, rois, metrics, orders: 7, seed: 9);

        foreach (var metric in metrics)
        {
            var ens = eval[metric.Name].EnsSummary.Mean;
            Assert.Equal(ens, one[metric.Name][10].Mean); // one order: the same per-image values averaged the same way
            var last = many[metric.Name][10];
            Assert.True(Math.Abs(last.Mean - ens) <= 1e-15 * Math.Max(1, Math.Abs(ens)), $"{metric.Name}: {last.Mean} vs {ens}");
            Assert.True(last.Std <= 1e-15, $"{metric.Name}: std {last.Std}"); // every order scores the identical map
        }
    }

    [Fact]
    public void ComputeParts_EqualsComputePerPart()
    {
        // Given two parts with different visibility (part b hides every third image, part c all but one)
        var (maps, rois) = EnsembleEvaluatorTests.NoisyEnsemble(members: 5, images: 9, size: 12, sigma: 0.9, seed: 25);
        var b = rois.Select((r, i) => i % 3 == 0 ? null : Shifted(r!)).ToArray();
        var c = rois.Select((r, i) => i == 4 ? r : null).ToArray();
        var metrics = MetricRegistry.CreateDefaults();
        IReadOnlyList<SaliencyMap?>[] sets = [rois, b, c];

        foreach (var aggregator in new IEnsembleAggregator[] { EnsembleAggregator.Mean, new EnsembleAggregator(AggregationKind.Median) })
        {
            var together = EnsembleSizeCurve.ComputeParts(maps, sets, metrics, aggregator, orders: 4, seed: 2);
            Assert.Equal(3, together.Count);
            for (var p = 0; p < sets.Length; p++)
            {
                var alone = EnsembleSizeCurve.Compute(maps, sets[p], metrics, aggregator, orders: 4, seed: 2);
                foreach (var metric in metrics)
                {
                    Assert.Equal(alone[metric.Name], together[p][metric.Name]);
                }
            }
        }
    }

    [Fact]
    public void Compute_MeanFastPath_NaNInMember_Throws()
    {
        var (maps, rois) = EnsembleEvaluatorTests.NoisyEnsemble(members: 3, images: 4, size: 8, sigma: 0.5, seed: 26);
        maps[2][1].Values[5] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => EnsembleSizeCurve.Compute(maps, rois, [new RocAuc()], orders: 2));
        Assert.Contains("non-finite", e.Message);
    }

    /// <summary>Members = ROI plus noise scaled by random powers of two down to 2⁻⁶⁰, so double sums of 7–11 floats round.</summary>
    private static (SaliencyMap[][] Maps, SaliencyMap?[] Rois) WideRange(int members, int images, int size, int seed)
    {
        var (maps, rois) = EnsembleEvaluatorTests.NoisyEnsemble(members, images, size, sigma: 0.6, seed);
        var rng = new Random(seed + 1000);
        foreach (var member in maps)
        {
            foreach (var map in member)
            {
                for (var i = 0; i < map.Values.Length; i++)
                {
                    map.Values[i] = (float)(map.Values[i] * Math.ScaleB(1.0 + rng.NextDouble(), -rng.Next(61)));
                }
            }
        }

        return (maps, rois);
    }

    private static SaliencyMap Shifted(SaliencyMap roi)
    {
        var v = new float[roi.Values.Length];
        Array.Copy(roi.Values, 0, v, 1, v.Length - 1);
        return new SaliencyMap(roi.Height, roi.Width, v);
    }

    /// <summary>The mean, behind an aggregator type the fast path does not recognise.</summary>
    private sealed class WrappedMean : IEnsembleAggregator
    {
        public string Name => "mean";

        public SaliencyMap Aggregate(IReadOnlyList<SaliencyMap> members) => EnsembleAggregator.Mean.Aggregate(members);
    }
}
