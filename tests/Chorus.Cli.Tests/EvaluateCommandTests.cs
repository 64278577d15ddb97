using Chorus.Evaluation;

namespace Chorus.Cli.Tests;

[Collection("Cli")]
public class EvaluateCommandTests
{
    [Fact]
    public async Task Evaluate_QuickDemoRun_ReproducesResultsAndWritesCurves()
    {
        // Given: a small quick demo run folder (its results.csv has com_distance and pearson)
        var run = Path.Combine(TestPaths.TempDir(), "demo");
        var (code, output) = await CliRunner.RunAsync(
            "demo", "--quick", "--out", run, "--members", "3", "--count", "160", "--epochs", "1", "--pretrain-epochs", "1",
            "--explain", "8", "--methods", "saliency,grad-cam", "--threads", "1");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(run, "run", "explained.json")));
        Assert.True(File.Exists(Path.Combine(run, "report.html")));
        var before = ResultsCsv.Read(Path.Combine(run, "results.csv"));
        File.Delete(Path.Combine(run, "results.csv"));
        File.Delete(Path.Combine(run, "curves.csv"));

        // When
        var (code2, output2) = await CliRunner.RunAsync("evaluate", "--run", run, "--metrics", "com_distance,pearson", "--orders", "5");

        // Then
        Assert.True(code2 == 0, output2);
        var after = ResultsCsv.Read(Path.Combine(run, "results.csv"));
        Assert.Equal(before.Count, after.Count);
        foreach (var b in before)
        {
            var a = Assert.Single(after, r => (r.Part, r.Method, r.Metric, r.Aggregate) == (b.Part, b.Method, b.Metric, b.Aggregate));
            Assert.Equal(b.Mean, a.Mean, 12);
            Assert.Equal(b.Std, a.Std, 12);
            Assert.Equal(b.WilcoxonP, a.WilcoxonP, 12);
        }

        var curves = CurvesCsv.Read(Path.Combine(run, "curves.csv"));
        foreach (var g in curves.GroupBy(c => (c.Part, c.Method, c.Metric)))
        {
            Assert.Equal([1, 2, 3], g.Select(c => c.K));
        }

        Assert.Equal(2 * 2 * 2 * 3, curves.Count);
        Assert.True(File.Exists(Path.Combine(run, "summary.json")));
        Assert.True(File.Exists(Path.Combine(run, "per_image.csv")));
        Assert.Contains("\"Aggregate\": \"mean\"", File.ReadAllText(Path.Combine(run, "manifest.json")));

        // When: the same maps re-scored with another aggregation rule (nothing recomputed)
        var maps = Directory.GetFiles(Path.Combine(run, "run", "maps"), "*.npy", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var (code3, output3) = await CliRunner.RunAsync("evaluate", "--run", run, "--metrics", "com_distance,pearson", "--orders", "2", "--aggregate", "median+rank");

        // Then: Ens-Avg changes, Exp-Avg (each member's own map) does not, and the files name the rule
        Assert.True(code3 == 0, output3);
        Assert.Contains("median+rank", output3);
        var median = ResultsCsv.Read(Path.Combine(run, "results.csv"));
        Assert.All(median.Where(r => r.Aggregate == "exp_avg"), r => Assert.Equal(before.Single(b => (b.Part, b.Method, b.Metric, b.Aggregate) == (r.Part, r.Method, r.Metric, r.Aggregate)).Mean, r.Mean, 12));
        Assert.Contains(median.Where(r => r.Aggregate == "ens_avg"), r => Math.Abs(before.Single(b => (b.Part, b.Method, b.Metric, b.Aggregate) == (r.Part, r.Method, r.Metric, r.Aggregate)).Mean - r.Mean) > 1e-9);
        Assert.Equal("median+rank", SummaryJson.Read(Path.Combine(run, "summary.json")).Aggregator);
        Assert.All(maps, m => Assert.Equal(m.Value, File.GetLastWriteTimeUtc(m.Key)));

        // And: an unknown rule is a one-line error naming the option
        var (code4, output4) = await CliRunner.RunAsync("evaluate", "--run", run, "--aggregate", "mode");
        Assert.Equal(2, code4);
        Assert.Contains("--aggregate", output4);
    }

    [Fact]
    public async Task Evaluate_DefaultMetrics_IsTheFullSuite()
    {
        // Given
        var run = RunFolderFixtures.SyntheticRun();

        // When
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", run, "--orders", "2");

        // Then
        Assert.True(code == 0, output);
        var metrics = ResultsCsv.Read(Path.Combine(run, "results.csv")).Select(r => r.Metric).Distinct();
        Assert.Equal(Chorus.Metrics.MetricRegistry.DefaultNames, metrics);
    }

    [Fact]
    public async Task Evaluate_Controls_WritesEveryMethodPartMetricAndControl_AndTheRunsOwnMetrics()
    {
        // Given
        var run = RunFolderFixtures.SyntheticRun();

        // When
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", run, "--orders", "2", "--metrics", "pearson,iou", "--controls", "--aggregate", "agg-var");

        // Then: two controls × 2 methods × parts × 2 metrics, with σ and a count per method
        Assert.True(code == 0, output);
        Assert.Contains("Ens-Avg beats smoothing control", output);
        Assert.Contains("agg-var", output);
        var lines = File.ReadAllLines(Path.Combine(run, "controls.csv"));
        Assert.Equal(ControlsCsv.Header, lines[0]);
        var parts = ResultsCsv.Read(Path.Combine(run, "results.csv")).Select(r => r.Part).Distinct().Count();
        Assert.Equal(2 * RunFolderFixtures.Methods.Length * parts * 2, lines.Length - 1);
        Assert.Contains(lines, l => l.Contains(",smoothing,sigma_px=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(",centre-prior,sigma=0.25*side,", StringComparison.Ordinal));

        // And: --metrics run scores what the run's own study recorded (here: none recorded, so it says so)
        var (codeR, outputR) = await CliRunner.RunAsync("evaluate", "--run", run, "--metrics", "run");
        Assert.True(codeR is 0 or 2, outputR);
        if (codeR == 2)
        {
            Assert.Contains("records no metrics", outputR);
        }
    }

    [Fact]
    public async Task Evaluate_FolderWithoutManifest_SaysItIsNotARun()
    {
        // When
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", TestPaths.TempDir());

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("is not a run folder: manifest.json is missing", output.ReplaceLineEndings(" "));
    }

    [Fact]
    public async Task Evaluate_MissingMaps_NamesTheMissingFile()
    {
        // Given
        var run = RunFolderFixtures.SyntheticRun();
        File.Delete(Path.Combine(run, "run", "maps", "grad-cam", "member-01.npy"));

        // When
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", run);

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains(Path.Combine("run", "maps", "grad-cam", "member-01.npy") + " is missing", output.ReplaceLineEndings(" "));
    }

    [Fact]
    public async Task Evaluate_UnknownMetric_IsAUserError()
    {
        // When
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", TestPaths.TempDir(), "--metrics", "nope");

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("unknown metric 'nope'", output);
    }
}
