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
        Assert.Equal(8, plots.Count);                                                // curve + box per part × metric
        Assert.Contains("curve-beak-pearson.svg", plots.Keys);
        Assert.Contains("box-wings-com_distance.svg", plots.Keys);
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
