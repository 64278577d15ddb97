using Chorus.Reports.Html;
using SkiaSharp;

namespace Chorus.Reports.Tests;

/// <summary>The report renders in a real browser: headless Chromium parses the page and paints it, images included.</summary>
public class BrowserRenderTests
{
    [ChromiumFact]
    public void Report_InHeadlessChromium_HasTableRowsAndPaintsTheImages()
    {
        // Given
        Assert.True(Chromium.Path is not null, "chromium is missing: .ci/run installs it (apt-get install -y chromium); CI=true makes this a failure.");
        var dir = TestPaths.TempDir();
        var page = HtmlReport.Write(dir, ReportSamples.Model(className: "<script>document.title='pwned'</script>"));
        var shot = Path.Combine(dir, "screenshot.png");

        // When
        var dom = Chromium.Run(page, "--dump-dom");
        Chromium.Run(page, $"--screenshot={shot}", "--window-size=1400,2000");

        // Then: the DOM as the browser built it
        Assert.Contains("<table class=\"results\">", dom);
        Assert.Equal(8, dom.Split("<tr><td class=\"key\">").Length - 1);
        Assert.Equal(2, dom.Split("<img ").Length - 1);
        Assert.Equal(8, dom.Split("<svg ").Length - 1);
        Assert.Contains("<title>Chorus report: sample-run</title>", dom);
        Assert.DoesNotContain("pwned</title>", dom);

        // And the screenshot is a painted page, not blank
        using var bitmap = SKBitmap.Decode(shot);
        Assert.NotNull(bitmap);
        Assert.Equal(1400, bitmap.Width);
        var colours = new HashSet<uint>();
        var nonWhite = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add((uint)c);
                nonWhite += c.Red < 240 || c.Green < 240 || c.Blue < 240 ? 1 : 0;
            }
        }

        Assert.True(colours.Count > 300, $"only {colours.Count} distinct colours: the page looks blank or the images did not decode.");
        Assert.True(nonWhite > bitmap.Width * bitmap.Height / 4 / 50, $"only {nonWhite} non-white sampled pixels.");
    }
}
