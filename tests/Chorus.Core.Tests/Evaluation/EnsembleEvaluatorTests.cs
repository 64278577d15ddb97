using System.Diagnostics;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Metrics;
using Xunit.Abstractions;

namespace Chorus.Core.Tests.Evaluation;

public class EnsembleEvaluatorTests(ITestOutputHelper output)
{
    /// <summary>maps[member][image] = roi[image] + independent Gaussian noise.</summary>
    internal static (SaliencyMap[][] Maps, SaliencyMap?[] Rois) NoisyEnsemble(int members, int images, int size, double sigma, int seed)
    {
        var rng = new Random(seed);
        var rois = new SaliencyMap?[images];
        for (var i = 0; i < images; i++)
        {
            var side = 3 + (i % (size / 3));
            rois[i] = TestMaps.Square(size, size, i % (size - side), (i * 7) % (size - side), side);
        }

        var maps = new SaliencyMap[members][];
        for (var j = 0; j < members; j++)
        {
            maps[j] = [.. rois.Select(r => TestMaps.Noisy(r!, sigma, rng))];
        }

        return (maps, rois);
    }

    [Fact]
    public void Evaluate_IndependentNoiseAcrossMembers_EnsBeatsExpAndVariesLess()
    {
        // Given 11 members = ROI + independent noise, so averaging cancels the noise
        var (maps, rois) = NoisyEnsemble(members: 11, images: 30, size: 16, sigma: 1.0, seed: 3);
        var evaluator = new EnsembleEvaluator(MetricRegistry.CreateDefaults());

        // When
        var result = evaluator.Evaluate(maps, rois);

        // Then every metric prefers the ensemble map on average, and Pearson on every single image
        foreach (var m in result.Metrics)
        {
            var better = m.HigherIsBetter ? m.EnsSummary.Mean > m.ExpSummary.Mean : m.EnsSummary.Mean < m.ExpSummary.Mean;
            Assert.True(better, $"{m.Metric}: ens {m.EnsSummary.Mean} vs exp {m.ExpSummary.Mean}");
        }

        foreach (var m in result.Metrics)
        {
            output.WriteLine($"{m.Metric}: ens {m.EnsSummary.Mean:F3}±{m.EnsSummary.Std:F3}, exp {m.ExpSummary.Mean:F3}±{m.ExpSummary.Std:F3}");
        }

        var pearson = result["pearson"];
        Assert.All(Enumerable.Range(0, pearson.Ens.Count), i => Assert.True(pearson.Ens[i] > pearson.Exp[i]));
        Assert.Equal(30, result["auc"].EnsSummary.ImagesUsed);
        Assert.Equal(0, result.ImagesNotVisible);
    }

    [Fact]
    public void Evaluate_IdenticalMembers_EnsEqualsExp()
    {
        // Given 5 copies of the same member
        var (one, rois) = NoisyEnsemble(members: 1, images: 12, size: 12, sigma: 0.5, seed: 5);
        var maps = Enumerable.Repeat(one[0], 5).ToArray();

        // When
        var result = new EnsembleEvaluator(MetricRegistry.CreateDefaults()).Evaluate(maps, rois);

        // Then
        foreach (var m in result.Metrics)
        {
            for (var i = 0; i < m.Ens.Count; i++)
            {
                Assert.Equal(m.Exp[i], m.Ens[i], 12);
            }
        }
    }

    [Fact]
    public void Evaluate_NullRoi_ImageExcludedAndCounted()
    {
        var (maps, rois) = NoisyEnsemble(members: 3, images: 6, size: 12, sigma: 0.5, seed: 7);
        rois[1] = null;
        rois[4] = null;
        var ids = Enumerable.Range(0, 6).Select(i => $"img{i}").ToArray();

        var result = new EnsembleEvaluator([new PearsonCorrelation()]).Evaluate(maps, rois, ids);

        Assert.Equal(2, result.ImagesNotVisible);
        Assert.Equal(["img0", "img2", "img3", "img5"], result.ImageIds);
        Assert.Equal([0, 2, 3, 5], result.ImageIndices);
        Assert.Equal(4, result["pearson"].EnsSummary.ImagesUsed);
    }

    [Fact]
    public void Evaluate_MemberWithUndefinedScore_SkippedFromExpAndCounted()
    {
        // Given member 1 is an all-zero map (Pearson undefined), member 0 equals the ROI
        var roi = TestMaps.Square(8, 8, 1, 1, 3);
        var zero = TestMaps.Constant(8, 8, 0);
        SaliencyMap[][] maps = [[roi], [zero]];

        // When
        var result = new EnsembleEvaluator([new PearsonCorrelation()]).Evaluate(maps, [roi]);

        // Then exp averages the one defined member; ens (= roi/2) is perfectly correlated
        var p = result["pearson"];
        Assert.Equal(1.0, p.Exp[0], 12);
        Assert.Equal(1, p.MembersSkipped[0]);
        Assert.Equal(1, p.TotalMembersSkipped);
        Assert.Equal(1.0, p.Ens[0], 12);
    }

    [Fact]
    public void Evaluate_NaNInAMemberMap_ThrowsNamingTheImage()
    {
        var (maps, rois) = NoisyEnsemble(members: 2, images: 4, size: 8, sigma: 0.5, seed: 9);
        maps[1][2].Values[5] = float.NaN;

        var e = Assert.Throws<ArgumentException>(() => new EnsembleEvaluator([new RocAuc()]).Evaluate(maps, rois));
        Assert.Contains("Image 2", e.Message);
        Assert.Contains("non-finite", e.Message);
    }

    [Fact]
    public void Evaluate_MemberCoveringFewerImages_Throws()
    {
        var (maps, rois) = NoisyEnsemble(members: 2, images: 4, size: 8, sigma: 0.5, seed: 9);
        maps[1] = maps[1][..3];
        Assert.Throws<ArgumentException>(() => new EnsembleEvaluator([new RocAuc()]).Evaluate(maps, rois));
    }

    [Fact]
    public void Evaluate_ParallelAndSerial_GiveIdenticalResults()
    {
        var (maps, rois) = NoisyEnsemble(members: 4, images: 20, size: 12, sigma: 0.8, seed: 11);
        var parallel = new EnsembleEvaluator(MetricRegistry.CreateDefaults()).Evaluate(maps, rois);
        var serial = new EnsembleEvaluator(MetricRegistry.CreateDefaults(), maxDegreeOfParallelism: 1).Evaluate(maps, rois);
        for (var k = 0; k < parallel.Metrics.Count; k++)
        {
            Assert.Equal(serial.Metrics[k].Ens, parallel.Metrics[k].Ens);
            Assert.Equal(serial.Metrics[k].Exp, parallel.Metrics[k].Exp);
        }
    }

    /// <summary>
    /// Benchmark-style: times Evaluate for 5 methods × 11 members × N images of 64×64 with the nine default
    /// metrics and prints the time. N = 1,000 when CHORUS_BENCH=1, else 8 (keeps the suite fast). No time assertion.
    /// </summary>
    [Fact]
    [Trait("Category", "Benchmark")]
    public void Evaluate_FiveMethodsElevenMembers64x64_ReportsTime()
    {
        var images = Environment.GetEnvironmentVariable("CHORUS_BENCH") == "1" ? 1000 : 8;
        var evaluator = new EnsembleEvaluator(MetricRegistry.CreateDefaults(), EnsembleAggregator.Mean);
        var total = TimeSpan.Zero;
        var cpu = TimeSpan.Zero;
        using var process = Process.GetCurrentProcess();
        for (var method = 0; method < 5; method++)
        {
            var (maps, rois) = NoisyEnsemble(members: 11, images, size: 64, sigma: 1.0, seed: 100 + method);
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var result = evaluator.Evaluate(maps, rois);
            sw.Stop();
            process.Refresh();
            cpu += process.TotalProcessorTime - cpu0;
            total += sw.Elapsed;
            Assert.Equal(images, result["auc"].EnsSummary.ImagesUsed);
        }

        output.WriteLine($"{images} images × 11 members × 5 methods at 64×64, 9 metrics, {Environment.ProcessorCount} cores: wall {total.TotalSeconds:F2} s, process CPU {cpu.TotalSeconds:F2} s");
    }
}
