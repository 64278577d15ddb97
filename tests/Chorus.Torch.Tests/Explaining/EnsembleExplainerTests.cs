using Chorus.IO;
using Chorus.Torch.Attribution;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using Chorus.Torch.Tests.Training;
using Chorus.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Explaining;

[Collection("Sequential")]
public class EnsembleExplainerTests
{
    private static readonly AttributionSettings Settings = new()
    {
        IntegratedGradients = new IntegratedGradientsOptions { Steps = 4 },
        GradientShap = new GradientShapOptions { Samples = 2 },
        GradCam = new GradCamOptions(Relu: true, Upsample: CamUpsample.Bilinear),
    };

    private static (string RunDir, Func<int, IClassifier> Load) TwoMembers(ImageTensorSet data)
    {
        var dir = TestPaths.TempDir();
        new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), new TrainingOptions(Members: 2, Epochs: 1, BatchSize: 8), "small-cnn").Train(dir, data, null);
        return (dir, m => EnsembleTrainer.LoadMember(() => new SmallCnn(4, widths: [4, 8, 8, 8]), dir, m));
    }

    [Fact]
    public void Explain_FiveMethods_LeavesNoLiveTensors()
    {
        // Given
        using var data = EnsembleTrainerTests.QuadrantSet(12, 16, 3);
        var (dir, load) = TwoMembers(data);
        var explainer = new EnsembleExplainer(Settings, batchSize: 5);

        // When
        DisposeScopeManager.Statistics.Reset();
        var maps = explainer.Explain(dir, load, 2, data, EnsembleExplainer.StudyMethods);
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // Then
        Assert.Equal(0, live);
        Assert.Equal(5, maps.Count);
        Assert.All(maps.Values, perMember =>
        {
            Assert.Equal(2, perMember.Length);
            Assert.All(perMember, images => Assert.Equal(12, images.Length));
            Assert.All(perMember.SelectMany(x => x), m => Assert.Equal((16, 16), (m.Height, m.Width)));
        });
        Assert.Contains(maps[Saliency.CliName][0], m => m.Values.Any(v => v > 0));
    }

    [Fact]
    public void Explain_MatchesMethodsRunOnTheirOwn_AndResumesFromDisk()
    {
        using var data = EnsembleTrainerTests.QuadrantSet(6, 16, 4);
        var (dir, load) = TwoMembers(data);
        var explainer = new EnsembleExplainer(Settings, MapReduction.SumAbs, batchSize: 4);
        var maps = explainer.Explain(dir, load, 2, data, [Saliency.CliName, IntegratedGradients.CliName]);

        // The same numbers from the methods called directly on member 1.
        using (var scope = NewDisposeScope())
        using (var model = load(1))
        {
            var ig = new IntegratedGradients(Settings.IntegratedGradients).Attribute(model, data.Images, data.Labels);
            var expected = SaliencyMaps.ToMaps(ig, MapReduction.SumAbs);
            for (var i = 0; i < 6; i++)
            {
                for (var p = 0; p < expected[i].Values.Length; p++)
                {
                    Assert.Equal(expected[i].Values[p], maps[IntegratedGradients.CliName][1][i].Values[p], 5);
                }
            }
        }

        var file = EnsembleExplainer.MapsPath(dir, Saliency.CliName, 0);
        Assert.Equal(new long[] { 6, 16, 16 }, NpyArray.Load(file).Shape);
        var stamp = File.GetLastWriteTimeUtc(file);
        var again = explainer.Explain(dir, _ => throw new InvalidOperationException("must not load a member whose maps exist"), 2, data, [Saliency.CliName, IntegratedGradients.CliName]);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(file));
        Assert.Equal(maps[Saliency.CliName][0][3].Values, again[Saliency.CliName][0][3].Values);
    }
    [Fact]
    public void Explain_Bf16_GivesMapsCorrelatedWithFp32_AndTheSameLayout()
    {
        // Given
        using var data = EnsembleTrainerTests.QuadrantSet(6, 16, 5);
        var (dir, load) = TwoMembers(data);
        string[] methods = [Saliency.CliName, IntegratedGradients.CliName, GradCam.CliName];
        var fp32 = new EnsembleExplainer(Settings, batchSize: 4).Explain(dir, load, 2, data, methods);
        Directory.Delete(Path.Combine(dir, "maps"), recursive: true);

        // When
        var bf16 = new EnsembleExplainer(Settings with { Precision = Precision.BFloat16 }, batchSize: 4).Explain(dir, load, 2, data, methods);

        // Then: the maps correlate (mean r over members × images > 0.9, none below 0.75: on this tiny 1-epoch
        // model with a global max pool, bf16 rounding can move a max and reroute part of a saliency gradient),
        // yet bf16 really ran (not identical)
        foreach (var m in methods)
        {
            var rs = new List<double>();
            for (var member = 0; member < 2; member++)
            {
                for (var i = 0; i < 6; i++)
                {
                    var (a, b) = (fp32[m][member][i].Values, bf16[m][member][i].Values);

                    // Grad-CAM with ReLU is all zeros for some images of this tiny model: r is undefined, but then both must be.
                    Assert.Equal(a.All(v => v == a[0]), b.All(v => v == b[0]));
                    if (!a.All(v => v == a[0]))
                    {
                        rs.Add(TestStats.Pearson(a, b));
                    }
                }
            }

            var all = string.Join(", ", rs.Select(r => r.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.True(rs.Count > 0 && rs.Average() > 0.9 && rs.Min() > 0.75, $"{m}: r = {all}");
            Assert.Contains(Enumerable.Range(0, 12), k => !fp32[m][k / 6][k % 6].Values.SequenceEqual(bf16[m][k / 6][k % 6].Values));
        }

        Assert.True(File.Exists(EnsembleExplainer.MapsPath(dir, GradCam.CliName, 1)));
    }

    [Fact]
    public void Explain_AdaptiveIntegratedGradients_WritesStepsAndGapPerImage_BeforeTheMaps()
    {
        using var data = EnsembleTrainerTests.QuadrantSet(5, 16, 4);
        var (dir, load) = TwoMembers(data);
        var settings = Settings with { IntegratedGradients = new IntegratedGradientsOptions { Steps = 16, Tolerance = 0.05, StartSteps = 4 } };

        var maps = new EnsembleExplainer(settings, batchSize: 3).Explain(dir, load, 2, data, [IntegratedGradients.CliName]);

        for (var m = 0; m < 2; m++)
        {
            var lines = File.ReadAllLines(EnsembleExplainer.ConvergencePath(dir, m));
            Assert.Equal("image,steps,relative_gap", lines[0]);
            Assert.Equal(6, lines.Length);
            var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
            Assert.Equal(["0", "1", "2", "3", "4"], rows.Select(r => r[0]));
            Assert.All(rows, r => Assert.Contains(int.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture), new[] { 4, 8, 16 }));
            Assert.All(rows, r => Assert.True(double.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture) >= 0));
        }

        Assert.Equal(2, maps[IntegratedGradients.CliName].Length);
    }

    [Fact]
    public void Explain_LayerMapsWithoutUpsampling_AreRefused_NotSilentlyResized()
    {
        using var data = EnsembleTrainerTests.QuadrantSet(4, 16, 6);
        var (dir, load) = TwoMembers(data);

        var e = Assert.Throws<ArgumentException>(() =>
            new EnsembleExplainer(Settings with { GradCam = new GradCamOptions(Relu: true) }).Explain(dir, load, 2, data, [GradCam.CliName]));
        var plusPlus = Assert.Throws<ArgumentException>(() =>
            new EnsembleExplainer(Settings).Explain(dir, load, 2, data, [GradCamPlusPlus.CliName]));

        Assert.Contains("Upsample", e.Message);
        Assert.Contains("grad-cam-plus-plus", plusPlus.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "maps")));
    }
}
