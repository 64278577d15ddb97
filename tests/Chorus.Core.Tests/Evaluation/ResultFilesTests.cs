using Chorus.Core.Tests.Evaluation;
using Chorus.Evaluation;
using Chorus.Metrics;
using Chorus.Statistics;

namespace Chorus.Core.Tests.Evaluation;

public class ResultFilesTests
{
    [Fact]
    public void ResultsCsv_WriteThenRead_RoundTripsIncludingQuotingAndNaN()
    {
        // Given rows with a comma, a quote and a newline in text fields, and NaN/extreme numbers
        var rows = new[]
        {
            new ResultRow("beak", "integrated_gradients", "pearson", Aggregates.EnsAvg, 0.1 + 0.2, 1e-300, -0.5, 0.75, 998, 2, true, 0.041259765625),
            new ResultRow("wing, left", "grad \"cam\"", "com\ndistance", Aggregates.ExpAvg, double.NaN, 0, double.NaN, 1, 0, 1000, false, double.NaN),
        };
        var path = Path.Combine(TestPaths.TempDir(), "out", "results.csv");

        // When
        ResultsCsv.Write(path, rows);
        var back = ResultsCsv.Read(path);

        // Then
        Assert.Equal(rows, back);
        var text = File.ReadAllText(path);
        Assert.StartsWith(ResultsCsv.Header + "\n", text);
        Assert.Contains("\"wing, left\",\"grad \"\"cam\"\"\"", text);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void ResultsCsv_Read_WrongHeaderOrBadNumber_ThrowsNamingFileAndLine()
    {
        var dir = TestPaths.TempDir();
        var wrongHeader = Path.Combine(dir, "a.csv");
        File.WriteAllText(wrongHeader, "part,method\nx,y\n");
        Assert.Contains("expected header", Assert.Throws<InvalidDataException>(() => ResultsCsv.Read(wrongHeader)).Message);

        var badNumber = Path.Combine(dir, "b.csv");
        File.WriteAllText(badNumber, ResultsCsv.Header + "\r\nbeak,ig,auc,ens_avg,abc,0,0,0,1,0,true,0.5\r\n");
        var e = Assert.Throws<InvalidDataException>(() => ResultsCsv.Read(badNumber));
        Assert.Contains("b.csv:2", e.Message);
        Assert.Contains("mean", e.Message);
    }

    [Fact]
    public void PerImageAndCurvesCsv_RoundTrip()
    {
        var dir = TestPaths.TempDir();
        var perImage = new[] { new PerImageRow("Black_Footed_Albatross_0001", "beak", "saliency", "auc", 0.9, double.NaN) };
        var curves = new[] { new CurveRow("beak", "saliency", "auc", 3, 0.8, 0.01) };

        PerImageCsv.Write(Path.Combine(dir, "per_image.csv"), perImage);
        CurvesCsv.Write(Path.Combine(dir, "curves.csv"), curves);

        Assert.Equal(perImage, PerImageCsv.Read(Path.Combine(dir, "per_image.csv")));
        Assert.Equal(curves, CurvesCsv.Read(Path.Combine(dir, "curves.csv")));
    }

    [Fact]
    public void EndToEnd_EvaluateCompareWrite_ProducesConsistentFiles()
    {
        // Given a small noisy ensemble with one image whose part is hidden
        var (maps, rois) = EnsembleEvaluatorTests.NoisyEnsemble(members: 5, images: 30, size: 12, sigma: 1.0, seed: 31);
        rois[0] = null;
        var result = new EnsembleEvaluator(MetricRegistry.CreateDefaults()).Evaluate(maps, rois);

        // When
        var comparisons = ResultTables.CompareAll("beak", "saliency", result, new BootstrapOptions(Resamples: 500, Seed: 1));
        var dir = TestPaths.TempDir();
        ResultsCsv.Write(Path.Combine(dir, "results.csv"), comparisons.SelectMany(ResultTables.ToResultRows));
        PerImageCsv.Write(Path.Combine(dir, "per_image.csv"), ResultTables.ToPerImageRows("beak", "saliency", result));
        var summary = new RunSummary(RunSummary.CurrentSchema, 5, "mean", new BootstrapOptions(500, 0.95, 1), comparisons, new Dictionary<string, string> { ["seed"] = "31" });
        SummaryJson.Write(Path.Combine(dir, "summary.json"), summary);

        // Then
        var rows = ResultsCsv.Read(Path.Combine(dir, "results.csv"));
        Assert.Equal(2 * 9, rows.Count);
        var ens = rows.Single(r => r.Metric == "pearson" && r.Aggregate == Aggregates.EnsAvg);
        var exp = rows.Single(r => r.Metric == "pearson" && r.Aggregate == Aggregates.ExpAvg);
        Assert.True(ens.Mean > exp.Mean);
        Assert.True(ens.CiLow <= ens.Mean && ens.Mean <= ens.CiHigh);
        Assert.Equal(29, ens.NImages);
        Assert.Equal(1, ens.NExcluded);
        Assert.True(ens.WilcoxonP < 1e-4); // 29 of 29 images favour the ensemble
        Assert.Equal(29 * 9, PerImageCsv.Read(Path.Combine(dir, "per_image.csv")).Count);

        var json = File.ReadAllText(Path.Combine(dir, "summary.json"));
        Assert.Contains("\"higher_is_better\"", json);
        Assert.Contains("\"chorus.summary/1\"", json);
        var back = SummaryJson.Read(Path.Combine(dir, "summary.json"));
        Assert.Equal(9, back.Comparisons.Count);
        Assert.Equal(comparisons[1].Ens, back.Comparisons[1].Ens);
        Assert.Equal("31", back.Metadata!["seed"]);
    }

    [Fact]
    public void SummaryJson_NaN_WrittenAsNull()
    {
        var c = new MetricComparison("p", "m", "com_distance", false,
            new AggregateStats(double.NaN, double.NaN, double.NaN, double.NaN, 0, 3),
            new AggregateStats(1, 0, 1, 1, 3, 0),
            new DifferenceStats(double.NaN, double.NaN, double.NaN, 0),
            new WilcoxonResult(double.NaN, double.NaN, 0, 0, WilcoxonMethod.Exact, double.NaN), 0, 0);
        var path = Path.Combine(TestPaths.TempDir(), "summary.json");

        SummaryJson.Write(path, new RunSummary(RunSummary.CurrentSchema, 1, "mean", BootstrapOptions.Default, [c]));

        Assert.Contains("\"mean\": null", File.ReadAllText(path));
        Assert.Contains("\"method\": \"exact\"", File.ReadAllText(path));
        Assert.True(double.IsNaN(SummaryJson.Read(path).Comparisons[0].Ens.Mean));
    }
}
