using Chorus.Reports.Html;

namespace Chorus.Reports.Tests;

public class HtmlReportTests
{
    [Fact]
    public void Escape_ScriptTag_IsInert()
    {
        // When
        var escaped = HtmlText.Escape("<script>alert('x') & \"y\"</script>");

        // Then
        Assert.Equal("&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;", escaped);
    }

    [Fact]
    public void Render_Comparison_SectionWithTableNotesAndPlot_OnlyWhenCompared()
    {
        // Given: a compared run with the reference, one rule that wins 3 of 4 and a source named like markup
        var comparison = new ComparisonReport(
            [
                new ComparisonSummaryRow("ensemble", "mean", 0, 4, 0, 0, 40, 10),
                new ComparisonSummaryRow("ensemble", "median", 3, 4, 1, 0, 40, 10),
                new ComparisonSummaryRow("<b>odd</b>", "mean", 1, 4, 0, 2, 4, double.NaN),
            ],
            [new Figures.QualityCostPanel("pearson · beak", [new("ensemble/mean", 50, 0), new("ensemble/median", 50, 0.1), new("<b>odd</b>/mean", 4, -0.2)])],
            ["Smoothing control: σ from 16 training images."]);

        // When
        var (html, _) = HtmlReport.Render(ReportSamples.Model() with { Comparison = comparison });
        var (plain, _) = HtmlReport.Render(ReportSamples.Model());

        // Then
        var section = html[html.IndexOf("<section id=\"compare\">", StringComparison.Ordinal)..html.IndexOf("<section id=\"curves\">", StringComparison.Ordinal)];
        Assert.Contains("<a href=\"#compare\">", html);
        Assert.Contains("(the reference)", section);
        Assert.Contains("<td class=\"better\">3 of 4</td>", section);
        Assert.Contains("&lt;b&gt;odd&lt;/b&gt;", section);
        Assert.DoesNotContain("<b>odd</b>", section);
        Assert.Contains("σ from 16 training images.", section);
        Assert.Contains("<svg", section);
        Assert.Contains("#d62728", section);                 // the Pareto front
        Assert.Contains("<td>–</td>", section);              // an unknown cost
        Assert.DoesNotContain("id=\"compare\"", plain);
    }

    [Fact]
    public void Render_ClassNameWithScript_IsEscapedEverywhere()
    {
        // Given
        var model = ReportSamples.Model(className: "<script>alert(1)</script>");

        // When
        var (html, _) = HtmlReport.Render(model);

        // Then
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("<b>bold</b>", html);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html);
    }

    [Fact]
    public void Render_SampleModel_HasEverySectionTableRowsPlotsAndInlineImages()
    {
        // Given
        var model = ReportSamples.Model();

        // When
        var (html, plots) = HtmlReport.Render(model);

        // Then
        foreach (var id in HtmlReport.SectionIds)
        {
            Assert.Contains($"<section id=\"{id}\">", html);
        }

        Assert.Equal(8, CountOf(html, "<tr><td class=\"key\">"));                   // 2 parts × 2 methods × 2 metrics
        Assert.Equal(8, CountOf(html, "<td class=\"better\">"));                     // ens wins every pair
        Assert.Equal(2, CountOf(html, "src=\"data:image/png;base64,"));
        Assert.Equal(8, plots.Count);                                                // curve + violin per part × metric
        Assert.Contains("curve-beak-pearson.svg", plots.Keys);
        Assert.Contains("violin-wings-com_distance.svg", plots.Keys);
        Assert.DoesNotContain("<section id=\"faithfulness\">", html);                // not computed: no section
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("0.9, 0.85, 0.88", html);                                    // member accuracies
    }

    [Fact]
    public void Write_Folder_WritesReportAndSvgFiles()
    {
        // Given
        var dir = TestPaths.TempDir();

        // When
        var path = HtmlReport.Write(dir, ReportSamples.Model());

        // Then
        Assert.Equal(Path.Combine(dir, "report.html"), path);
        Assert.True(new FileInfo(path).Length > 1000);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(dir, "figures"), "*.svg").Length);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", File.ReadAllText(Path.Combine(dir, "figures", "curve-beak-pearson.svg")), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_Folder_WritesEveryPlotAlsoAsDecodablePng()
    {
        // Given
        var dir = TestPaths.TempDir();

        // When
        HtmlReport.Write(dir, ReportSamples.Model(faithfulness: true));

        // Then: one PNG per SVG, same name, decodable, 2× the SVG's size, not blank
        var svgs = Directory.GetFiles(Path.Combine(dir, "figures"), "*.svg").Select(Path.GetFileNameWithoutExtension).Order().ToList();
        var pngs = Directory.GetFiles(Path.Combine(dir, "plots"), "*.png").Select(Path.GetFileNameWithoutExtension).Order().ToList();
        Assert.Equal(10, svgs.Count);                                                 // 8 + deletion + insertion
        Assert.Equal(svgs, pngs);
        foreach (var name in pngs)
        {
            using var bitmap = SkiaSharp.SKBitmap.Decode(Path.Combine(dir, "plots", name + ".png"));
            Assert.NotNull(bitmap);
            var svg = File.ReadAllText(Path.Combine(dir, "figures", name + ".svg"));
            var width = int.Parse(System.Text.RegularExpressions.Regex.Match(svg, "width=\"(\\d+)\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(2 * width, bitmap.Width);
            var colours = new HashSet<uint>();
            for (var y = 0; y < bitmap.Height; y += 3)
            {
                for (var x = 0; x < bitmap.Width; x += 3)
                {
                    colours.Add((uint)bitmap.GetPixel(x, y));
                }
            }

            Assert.True(colours.Count > 20, $"{name}.png looks blank ({colours.Count} colours).");
            Assert.Contains((uint)new SkiaSharp.SKColor(0x4e, 0x79, 0xa7), colours);  // the first series colour is drawn
        }
    }

    [Fact]
    public void Render_WithFaithfulness_ShowsTableAndCurvePlots()
    {
        // Given
        var model = ReportSamples.Model(faithfulness: true);

        // When
        var (html, plots) = HtmlReport.Render(model);

        // Then
        Assert.Contains("<section id=\"faithfulness\">", html);
        Assert.Contains("<a href=\"#faithfulness\">", html);
        var section = html[html.IndexOf("<section id=\"faithfulness\">", StringComparison.Ordinal)..html.IndexOf("<section id=\"curves\">", StringComparison.Ordinal)];
        Assert.Equal(4, CountOf(section, "<tr><td class=\"key\">"));                // 2 methods × {deletion, insertion}
        Assert.Contains("deletion_auc ↓", section);
        Assert.Contains("insertion_auc ↑", section);
        Assert.Contains("faithfulness-deletion.svg", plots.Keys);
        Assert.Contains("faithfulness-insertion.svg", plots.Keys);
        Assert.Contains("stroke-dasharray", plots["faithfulness-deletion.svg"]);     // Exp-Avg dashed
        Assert.Equal(2, CountOf(section, "<svg "));
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
