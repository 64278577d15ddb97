using System.Globalization;
using Chorus.Explanations;
using Chorus.Study;

namespace Chorus.Cli.Tests;

/// <summary>`chorus compare`: sources × rules × controls against plain Ens-Avg, with costs.</summary>
[Collection("Cli")]
public class CompareCommandTests
{
    private static readonly string[] Study =
    [
        "--quick", "--members", "3", "--count", "160", "--epochs", "1", "--pretrain-epochs", "1",
        "--explain", "6", "--methods", "saliency,integrated-gradients", "--threads", "1",
    ];

    [Fact]
    public async Task Compare_ScoresEverySourceRuleAndControl_AgainstPlainEnsAvg_AndResumes()
    {
        // Given / When: compare on a fresh folder (it runs the study first), with two one-model sources
        var run = Path.Combine(TestPaths.TempDir(), "compare");
        var (code, output) = await CliRunner.RunAsync(["compare", .. Study, "--sources", "noisegrad,smoothgrad", "--ensembles", "none", "--out", run]);

        // Then: (3 sources × (5 rules + the single map) + the probability- and accuracy-weighted ensembles + 3 controls) × 2 methods × 2 parts × 2 metrics rows
        Assert.True(code == 0, output);
        Assert.Contains("(the reference)", output);
        var lines = File.ReadAllLines(Path.Combine(run, "compare.csv"));
        Assert.Equal(StudyComparison.Header, lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(((3 * 6) + 2 + 3) * 2 * 2 * 2, rows.Count);
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        Assert.Contains(rows, r => r[Col("source")] == "ensemble" && r[Col("rule")] == "prob-weighted");
        Assert.Contains(rows, r => r[Col("source")] == "ensemble" && r[Col("rule")] == "acc-weighted");
        Assert.Contains("its accuracy on the 42 test images that are not explained", output);
        Assert.Equal(["control:centre-prior", "control:smoothing", "control:smoothing-crossfit", "ensemble", "noisegrad", "smoothgrad"], rows.Select(r => r[Col("source")]).Distinct().Order(StringComparer.Ordinal));

        // The reference against itself: no difference
        Assert.All(rows.Where(r => r[Col("source")] == "ensemble" && r[Col("rule")] == "mean"), r => Assert.Equal(0.0, double.Parse(r[Col("diff_vs_ens_avg")], CultureInfo.InvariantCulture)));

        // Costs: the ensemble's from the study, the one-model sources' explanation measured, a third of the training
        var ensembleTrain = double.Parse(rows.First(r => r[Col("source")] == "ensemble")[Col("train_s")], CultureInfo.InvariantCulture);
        var noiseTrain = double.Parse(rows.First(r => r[Col("source")] == "noisegrad" && r[Col("rule")] == "mean")[Col("train_s")], CultureInfo.InvariantCulture);
        var noiseExplain = double.Parse(rows.First(r => r[Col("source")] == "noisegrad" && r[Col("rule")] == "mean")[Col("explain_s")], CultureInfo.InvariantCulture);
        Assert.True(ensembleTrain > 0 && noiseTrain > 0 && noiseTrain < ensembleTrain, $"{ensembleTrain} {noiseTrain}");
        Assert.True(noiseExplain > 0);

        // The sources' maps: one file per map and method, all from member 0, and not member 0's own maps
        foreach (var source in new[] { "noisegrad", "smoothgrad" })
        {
            var own = SaliencyMap.LoadStack(Path.Combine(run, "run", "maps", "saliency", "member-00.npy"), 6, 48, 48);
            for (var k = 0; k < 3; k++)
            {
                var maps = SaliencyMap.LoadStack(Path.Combine(run, "sources", source, "run", "maps", "saliency", $"member-{k:D2}.npy"), 6, 48, 48);
                Assert.NotEqual(own[0].Values, maps[0].Values);
            }
        }

        System.Xml.Linq.XDocument.Parse(File.ReadAllText(Path.Combine(run, "compare.svg")));

        // The smoothing control's σ was fitted on training images explained by every member, none of them a test image
        var fit = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "controls", "train", "run", "explained.json")))!;
        Assert.Equal("train", fit["split"]!.GetValue<string>());
        var fitIds = fit["image_ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToList();
        Assert.Equal(StudyRunner.ControlFitImages, fitIds.Count);
        var testIds = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run", "explained.json")))!["image_ids"]!.AsArray().Select(n => n!.GetValue<int>());
        Assert.Empty(fitIds.Intersect(testIds));
        var isTraining = File.ReadAllLines(Path.Combine(run, "data", "train_test_split.txt")).Select(l => l.Split(' ')).ToDictionary(f => int.Parse(f[0], CultureInfo.InvariantCulture), f => f[1] == "1");
        Assert.All(fitIds, id => Assert.True(isTraining[id], $"image {id} is not a training image"));
        Assert.True(File.Exists(Path.Combine(run, "controls", "train", "run", "maps", "saliency", "member-02.npy")));

        // The report has the compare section: the table, the notes, the quality-vs-cost plot
        var html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("<section id=\"compare\">", html);
        Assert.Contains("noisegrad", html);
        Assert.Contains("Ens-Avg beats the smoothing control in", html);
        Assert.Contains($"maps of {StudyRunner.ControlFitImages} training images", html);
        Assert.Contains("Pareto front", html);

        // and evaluate --controls uses those maps, and says so
        var (codeE, outputE) = await CliRunner.RunAsync(["evaluate", "--run", run, "--controls", "--orders", "2"]);
        Assert.True(codeE == 0, outputE);
        Assert.Contains($"fitted on {StudyRunner.ControlFitImages} training images", File.ReadAllText(Path.Combine(run, "controls.csv")));

        // When: run again
        var first = File.ReadAllText(Path.Combine(run, "compare.csv"));
        var (codeA, outputA) = await CliRunner.RunAsync(["compare", .. Study, "--sources", "noisegrad,smoothgrad", "--ensembles", "none", "--out", run]);

        // Then: nothing recomputed, the same table (the recorded costs included)
        Assert.True(codeA == 0, outputA);
        Assert.Equal(first, File.ReadAllText(Path.Combine(run, "compare.csv")));
    }

    [Fact]
    public async Task CompareRandomisation_CascadesFromTheHead_AndTheMapsMoveAwayFromTheTrainedOnes()
    {
        var run = Path.Combine(TestPaths.TempDir(), "randomisation");
        var (code, output) = await CliRunner.RunAsync(["compare", .. Study, "--sources", "none", "--ensembles", "none", "--randomisation", "--randomisation-images", "4", "--out", run]);

        Assert.True(code == 0, output);
        Assert.Contains("top 1: head", output);
        var rows = File.ReadAllLines(Path.Combine(run, "randomisation.csv")).Skip(1).Select(l => l.Split(',')).ToList();

        // 9 SmallCnn layers × 2 methods; the deepest depth randomises everything from block1's convolution
        Assert.Equal(9 * 2, rows.Count);
        Assert.Equal("features.block1.conv", rows.Single(r => r[0] == "saliency" && r[1] == "9")[2]);

        // Fully randomised members explain something else: the correlation with the trained maps falls below the head-only one
        double Ens(string method, string top) => double.Parse(rows.Single(r => r[0] == method && r[1] == top)[3], CultureInfo.InvariantCulture);
        double Single(string method, string top) => double.Parse(rows.Single(r => r[0] == method && r[1] == top)[5], CultureInfo.InvariantCulture);
        Assert.True(Single("integrated-gradients", "9") < Single("integrated-gradients", "1"), output);
        Assert.True(Ens("integrated-gradients", "9") < Ens("integrated-gradients", "1"), output);
        Assert.True(Directory.Exists(Path.Combine(run, "randomisation", "top-09", "run", "maps")));
    }

    [Fact]
    public async Task Compare_EnsembleKinds_EachItsOwnStudyOnTheSameImages_CheaperToTrain()
    {
        // Given / When: the three cheaper kinds beside the independent ensemble, no one-model source
        var run = Path.Combine(TestPaths.TempDir(), "kinds");
        var (code, output) = await CliRunner.RunAsync(["compare", .. Study, "--epochs", "2", "--sources", "none", "--out", run]);

        // Then: each kind is a study of its own, on the reference's images, with its rows and its costs
        Assert.True(code == 0, output);
        var lines = File.ReadAllLines(Path.Combine(run, "compare.csv"));
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["control:centre-prior", "control:smoothing", "control:smoothing-crossfit", "ensemble", "ensemble:frozen-trunk", "ensemble:multi-head", "ensemble:snapshot"], rows.Select(r => r[Col("source")]).Distinct().Order(StringComparer.Ordinal));
        string Explained(string folder) => System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "run", "explained.json")))!["image_ids"]!.ToJsonString();
        var reference = Explained(run);
        double Train(string source) => double.Parse(rows.First(r => r[Col("source")] == source && r[Col("rule")] == "mean")[Col("train_s")], CultureInfo.InvariantCulture);
        foreach (var kind in new[] { "snapshot", "multi-head", "frozen-trunk" })
        {
            var folder = Path.Combine(run, "ensembles", kind);
            Assert.Equal(reference, Explained(folder));
            Assert.True(File.Exists(Path.Combine(folder, "run", "members", "member-02.safetensors")), kind);
            Assert.True(Train($"ensemble:{kind}") > 0, kind);
        }

        // Multi-head trains once where the reference trains three times (both after the same shared pre-training)
        Assert.True(Train("ensemble:multi-head") < Train("ensemble"), $"{Train("ensemble:multi-head")} vs {Train("ensemble")}");
    }

    [Fact]
    public async Task Compare_EnsembleOtherThanIndependent_IsAUserError()
    {
        var (code, output) = await CliRunner.RunAsync(["compare", .. Study, "--ensemble", "snapshot", "--out", TestPaths.TempDir()]);

        Assert.Equal(2, code);
        Assert.Contains("--ensembles", output);
    }

    [Fact]
    public async Task Compare_UnknownSource_IsAUserError()
    {
        var (code, output) = await CliRunner.RunAsync(["compare", .. Study, "--sources", "deep-ensemble", "--out", TestPaths.TempDir()]);

        Assert.Equal(2, code);
        Assert.Contains("--sources", output);
        Assert.Contains("noisegrad", output);
        Assert.Contains("tta", output);
        Assert.Contains("mc-dropout", output);
    }

    [Fact]
    public async Task Compare_McDropoutWithoutDropout_IsAUserErrorNamingTheOption_BeforeAnyTraining()
    {
        // Given / When: mc-dropout asked for, on members that would train without dropout
        var run = Path.Combine(TestPaths.TempDir(), "no-dropout");
        var (code, output) = await CliRunner.RunAsync(["compare", .. Study, "--sources", "tta,mc-dropout", "--out", run]);

        // Then
        Assert.Equal(2, code);
        Assert.Contains("--dropout", output);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void SourceList_ByDefault_HasMcDropoutOnlyWithDropout()
    {
        Assert.Equal(MapSources.Defaults(0), new Chorus.Cli.Commands.CompareSettings().SourceList);
        Assert.DoesNotContain(MapSource.McDropout, new Chorus.Cli.Commands.CompareSettings().SourceList);
        Assert.Contains(MapSource.Tta, new Chorus.Cli.Commands.CompareSettings().SourceList);
        Assert.Contains(MapSource.McDropout, new Chorus.Cli.Commands.CompareSettings { Dropout = 0.2 }.SourceList);
        Assert.Equal([MapSource.Tta, MapSource.McDropout], new Chorus.Cli.Commands.CompareSettings { Sources = "tta, mc-dropout" }.SourceList);
    }
}
