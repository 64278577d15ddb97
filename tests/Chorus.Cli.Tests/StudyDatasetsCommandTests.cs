using System.Text.Json.Nodes;
using Chorus.Cli.Rendering;
using Chorus.Study;
using Chorus.Evaluation;

namespace Chorus.Cli.Tests;

/// <summary>The study on lesions (generated or an ISIC folder), format detection and the bad-image policy, through the CLI.</summary>
[Collection("Cli")]
public class StudyDatasetsCommandTests
{
    private static readonly string[] FiveMethods = ["saliency", "input-x-gradient", "integrated-gradients", "gradient-shap", "grad-cam"];

    [Fact]
    public async Task Demo_QuickSynthLesions_PrintsTheIouTableWritesEverythingAndReloads()
    {
        // Given
        var outDir = Path.Combine(TestPaths.TempDir(), "lesions");

        // When
        var (code, output) = await CliRunner.RunAsync("demo", "--dataset", "synth-lesions", "--quick", "--out", outDir);

        // Then: the printed table has IoU and corr, Ens and Exp, for the five methods on the lesion, within 80 columns
        Assert.True(code == 0, output);
        Assert.Contains("IoU↑ Ens", output);
        Assert.Contains("IoU↑ Exp", output);
        Assert.Contains("corr↑ Ens", output);
        var rows = TableRows(output, FiveMethods);
        Assert.Equal(FiveMethods.Length, rows.Count);
        Assert.StartsWith("lesion", rows[0].TrimStart(), StringComparison.Ordinal);
        Assert.All(rows, r => Assert.True(r.Length <= StudyTable.MaxWidth, $"{r.Length} columns: {r}"));
        Assert.All(rows, r => Assert.DoesNotMatch(@"±\d\.\d{3}[-\d–]", r));
        Assert.All(rows, r => Assert.DoesNotMatch(@"[a-z][-\d]\.\d{3}±", r));
        Assert.DoesNotContain("beak", output);

        // And: the files name the lesion part and the iou and pearson metrics
        var results = ResultsCsv.Read(Path.Combine(outDir, "results.csv"));
        Assert.Equal(["lesion"], results.Select(r => r.Part).Distinct());
        Assert.Equal(FiveMethods, results.Select(r => r.Method).Distinct());
        Assert.Equal(["iou", "pearson"], results.Select(r => r.Metric).Distinct());
        Assert.All(results, r => Assert.True(double.IsFinite(r.Mean), $"{r.Method} {r.Metric} {r.Aggregate}"));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!;
        Assert.Equal("isic2018", manifest["options"]!["dataset"]!["format"]!.GetValue<string>());
        Assert.Equal("lesion", manifest["options"]!["dataset"]!["parts"]![0]!.GetValue<string>());
        Assert.Equal("synth-lesions", manifest["options"]!["study"]!["Dataset"]!.GetValue<string>());
        Assert.Equal(0, manifest["results"]!["images_skipped"]!.GetValue<int>());
        Assert.Equal(["image_id,path,reason"], File.ReadAllLines(Path.Combine(outDir, StudyRunner.SkippedFile)));
        Assert.True(File.Exists(Path.Combine(outDir, "data", "synthlesions.json")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "figures", "grad-cam"), "image-*-lesion.png"));
        Assert.True(File.Exists(Path.Combine(outDir, "report.html")));

        // And: evaluate and report reload it as a lesion run
        File.Delete(Path.Combine(outDir, "results.csv"));
        var (evalCode, evalOutput) = await CliRunner.RunAsync("evaluate", "--run", outDir, "--metrics", "iou,pearson", "--orders", "2");
        Assert.True(evalCode == 0, evalOutput);
        var again = ResultsCsv.Read(Path.Combine(outDir, "results.csv"));
        Assert.Equal(results.Count, again.Count);
        foreach (var r in results)
        {
            Assert.Equal(r.Mean, Assert.Single(again, a => (a.Part, a.Method, a.Metric, a.Aggregate) == (r.Part, r.Method, r.Metric, r.Aggregate)).Mean, 12);
        }

        File.Delete(Path.Combine(outDir, "report.html"));
        var (reportCode, reportOutput) = await CliRunner.RunAsync("report", "--run", outDir, "--images", "1");
        Assert.True(reportCode == 0, reportOutput);
        Assert.Contains("ROI lesion", File.ReadAllText(Path.Combine(outDir, "report.html")));

        // And: a second run reuses the generated folder
        var (code2, output2) = await CliRunner.RunAsync("demo", "--dataset", "synth-lesions", "--quick", "--out", outDir);
        Assert.True(code2 == 0, output2);
        Assert.Contains("Reusing SynthLesions", output2);
    }

    [Fact]
    public async Task Train_SynthLesionsFolderMadeWithOtherOptions_IsRefused()
    {
        // Given a run folder whose data/ holds SynthLesions with 20 images
        var outDir = TestPaths.TempDir();
        string[] tiny = ["--size", "32", "--members", "1", "--epochs", "1", "--pretrain-epochs", "0", "--threads", "1", "--out", outDir];
        var (code, output) = await CliRunner.RunAsync(["train", "--dataset", "synth-lesions", "--count", "20", .. tiny]);
        Assert.True(code == 0, output);

        // When: the same folder with another count, then as SynthBirds
        var (otherCode, otherOutput) = await CliRunner.RunAsync(["train", "--dataset", "synth-lesions", "--count", "22", .. tiny]);
        var (birdsCode, birdsOutput) = await CliRunner.RunAsync(["train", "--count", "20", .. tiny]);

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, otherCode);
        Assert.Contains("other options", otherOutput);
        Assert.Equal(ChorusApp.UserErrorExitCode, birdsCode);
        Assert.Contains("holds a SynthLesions dataset", birdsOutput.ReplaceLineEndings(" "));
        Assert.Equal(20, Directory.GetFiles(Path.Combine(outDir, "data"), "*.jpg", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Demo_IsicFolderViaData_DetectsTheFormatAndSplitsWideTables()
    {
        // Given an ISIC 2018 folder (Training + Validation, labels.csv)
        var data = IsicFolderFixtures.Official(train: 12, test: 6);
        var outDir = TestPaths.TempDir();

        // When: three metrics, which cannot share one 80-column table
        var (code, output) = await CliRunner.RunAsync(
            "demo", "--data", data, "--out", outDir, "--size", "32", "--members", "2", "--epochs", "1", "--pretrain-epochs", "1",
            "--explain", "4", "--methods", "saliency,grad-cam", "--metrics", "iou,pearson,spearman", "--threads", "1");

        // Then
        Assert.True(code == 0, output);
        Assert.Contains("1/2", output);
        Assert.Contains("2/2", output);
        Assert.All(TableRows(output, ["saliency", "grad-cam"]), r => Assert.True(r.Length <= StudyTable.MaxWidth, $"{r.Length} columns: {r}"));
        Assert.All(TableRows(output, ["saliency", "grad-cam"]), r => Assert.DoesNotMatch(@"±\d\.\d{3}[-\d–]", r));
        var results = ResultsCsv.Read(Path.Combine(outDir, "results.csv"));
        Assert.Equal(["lesion"], results.Select(r => r.Part).Distinct());
        Assert.Equal(["iou", "pearson", "spearman"], results.Select(r => r.Metric).Distinct());
        var dataset = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!["options"]!["dataset"]!;
        Assert.Equal("isic2018", dataset["format"]!.GetValue<string>());
        Assert.StartsWith("official", dataset["split"]!.GetValue<string>(), StringComparison.Ordinal);

        // And: the run reloads
        var run = RunFolder.Load(outDir);
        Assert.Equal("isic2018", run.Format);
        Assert.Equal(["lesion"], run.Parts);
        Assert.Equal(["benign", "malignant"], run.ClassNames);
        Assert.Equal(6, run.Test.Count);
    }

    [Fact]
    public async Task Demo_FolderOfUnknownFormat_NamesTheFolder()
    {
        // Given
        var data = TestPaths.TempDir("chorus-unknown");
        File.WriteAllText(Path.Combine(data, "readme.txt"), "not a dataset");

        // When
        var (code, output) = await CliRunner.RunAsync("demo", "--data", data, "--out", TestPaths.TempDir());

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("Cannot tell the format", output);
        Assert.Contains(Path.GetFileName(data), output);
        Assert.DoesNotContain("   at ", output);
    }

    [Theory]
    [InlineData("--dataset", "synth-cats")]
    [InlineData("--on-bad-image", "ignore")]
    [InlineData("--format", "voc")]
    public async Task Demo_BadDatasetOption_IsAUserErrorNamingTheValue(string option, string value)
    {
        var (code, output) = await CliRunner.RunAsync("demo", option, value, "--data", TestPaths.TempDir(), "--out", TestPaths.TempDir());
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains(value, output);
    }

    [Fact]
    public async Task Demo_DatasetWithData_IsAUserError()
    {
        var (code, output) = await CliRunner.RunAsync("demo", "--dataset", "synth-lesions", "--data", TestPaths.TempDir(), "--out", TestPaths.TempDir());
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("only one of them", output);
    }

    [Fact]
    public async Task Train_CorruptImage_IsSkippedByDefault_WithAWarningAndSkippedCsv()
    {
        // Given a SynthBirds folder with one truncated image
        var (data, victim) = await BirdsWithTruncatedImage();
        var outDir = TestPaths.TempDir();

        // When
        var (code, output) = await CliRunner.RunAsync("train", "--data", data, "--out", outDir, "--members", "1", "--epochs", "1", "--pretrain-epochs", "0", "--size", "32", "--threads", "1");

        // Then
        Assert.True(code == 0, output);
        Assert.Contains("warning:", output);
        Assert.Contains("skipped 1 ", output);
        Assert.Contains(Path.GetFileName(victim), output);
        var lines = File.ReadAllLines(Path.Combine(outDir, StudyRunner.SkippedFile));
        Assert.Equal(2, lines.Length);
        Assert.Contains(Path.GetFileName(victim), lines[1]);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!;
        Assert.Equal(1, manifest["results"]!["images_skipped"]!.GetValue<int>());
        Assert.Equal("skip", manifest["options"]!["dataset"]!["on_bad_image"]!.GetValue<string>());
    }

    [Fact]
    public async Task Train_CorruptImage_OnBadImageFail_ExitsTwoNamingTheFile()
    {
        // Given
        var (data, victim) = await BirdsWithTruncatedImage();

        // When
        var (code, output) = await CliRunner.RunAsync("train", "--data", data, "--out", TestPaths.TempDir(), "--members", "1", "--epochs", "1", "--size", "32", "--on-bad-image", "fail");

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains(Path.GetFileName(victim), output);
        Assert.Contains("error:", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Train_IsicFolderWithUnreadableImage_FailNamesItAndSkipListsIt()
    {
        // Given
        var data = IsicFolderFixtures.Official(train: 8, test: 4);
        var victim = IsicFolderFixtures.ImagePath(data, 1);
        File.WriteAllText(victim, "garbage");

        // When
        var (failCode, failOutput) = await CliRunner.RunAsync("train", "--data", data, "--out", TestPaths.TempDir(), "--members", "1", "--epochs", "1", "--size", "32", "--on-bad-image", "fail");
        var outDir = TestPaths.TempDir();
        var (skipCode, skipOutput) = await CliRunner.RunAsync("train", "--data", data, "--out", outDir, "--members", "1", "--epochs", "1", "--pretrain-epochs", "0", "--size", "32", "--threads", "1");

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, failCode);
        Assert.Contains(Path.GetFileName(victim), failOutput);
        Assert.True(skipCode == 0, skipOutput);
        Assert.Contains(Path.GetFileName(victim), skipOutput);
        Assert.Contains(Path.GetFileName(victim), File.ReadAllLines(Path.Combine(outDir, StudyRunner.SkippedFile))[1]);
    }

    [Fact]
    public void RunFolder_RunWithoutDatasetRecord_LoadsAsCubScoringBeakAndWings()
    {
        // Given a run folder as written before the dataset record existed
        var folder = RunFolderFixtures.SyntheticRun();
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!["options"]!["dataset"]);

        // When
        var run = RunFolder.Load(folder);

        // Then
        Assert.Equal("cub", run.Format);
        Assert.Equal(["beak", "wings"], run.Parts);
        Assert.True(run.Test.Regions.ContainsKey("beak"));
        Assert.True(run.Test.Regions.ContainsKey("wings"));
    }

    /// <summary>The printed table rows of <paramref name="methods"/> (lines holding a method name and a ± value).</summary>
    private static List<string> TableRows(string output, IReadOnlyList<string> methods) =>
        [.. output.ReplaceLineEndings("\n").Split('\n')
            .Where(l => l.Contains('±') && methods.Any(m => l.Contains(m, StringComparison.Ordinal)))
            .Select(l => l.TrimEnd())
            .Take(methods.Count)];

    private static async Task<(string Data, string Victim)> BirdsWithTruncatedImage()
    {
        var data = Path.Combine(TestPaths.TempDir(), "birds");
        var (gen, genOut) = await CliRunner.RunAsync("synth", "birds", "--out", data, "--species", "2", "--size", "32", "--count", "24");
        Assert.True(gen == 0, genOut);
        var victim = Directory.GetFiles(Path.Combine(data, "images"), "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(victim);
        File.WriteAllBytes(victim, bytes[..(bytes.Length / 3)]);
        return (data, victim);
    }
}
