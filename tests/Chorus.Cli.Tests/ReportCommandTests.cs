using Chorus.Evaluation;
using Chorus.Reports.Html;

namespace Chorus.Cli.Tests;

[Collection("Cli")]
public class ReportCommandTests
{
    [Fact]
    public async Task Report_SyntheticRun_HasEverySectionAndEscapesClassNames()
    {
        // Given: a hand-built run folder whose first class is called "<script>alert(1)</script>"
        var run = RunFolderFixtures.SyntheticRun(firstClassName: "<script>alert(1)</script>");
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", run, "--metrics", "com_distance,pearson", "--orders", "4");
        Assert.True(code == 0, output);

        // When
        var (code2, output2) = await CliRunner.RunAsync("report", "--run", run, "--images", "2");

        // Then
        Assert.True(code2 == 0, output2);
        var html = File.ReadAllText(Path.Combine(run, "report.html"));
        foreach (var id in HtmlReport.SectionIds)
        {
            Assert.Contains($"<section id=\"{id}\">", html);
        }

        Assert.Equal(2 * 2 * 2, html.Split("<tr><td class=\"key\">").Length - 1);          // parts × methods × metrics
        Assert.Equal(2 * 2, html.Split("src=\"data:image/png;base64,").Length - 1);        // methods × --images
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(run, "figures"), "*.svg").Length);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(run, "plots"), "*.png").Length);
    }

    [Fact]
    public async Task Report_WithoutCurves_ComputesCurvesCsv()
    {
        // Given
        var run = RunFolderFixtures.SyntheticRun();
        Assert.Equal(0, (await CliRunner.RunAsync("evaluate", "--run", run, "--metrics", "pearson")).ExitCode);
        File.Delete(Path.Combine(run, "curves.csv"));

        // When
        var (code, output) = await CliRunner.RunAsync("report", "--run", run);

        // Then
        Assert.True(code == 0, output);
        var curves = CurvesCsv.Read(Path.Combine(run, "curves.csv"));
        Assert.Equal(Enumerable.Range(1, RunFolderFixtures.Members), curves.Where(c => c.Part == "beak" && c.Method == "saliency").Select(c => c.K));
    }

    [Fact]
    public async Task Report_RunWithoutResults_NamesTheMissingFile()
    {
        // Given
        var run = RunFolderFixtures.SyntheticRun();

        // When
        var (code, output) = await CliRunner.RunAsync("report", "--run", run);

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("results.csv is missing", output.ReplaceLineEndings(" "));
    }
}
