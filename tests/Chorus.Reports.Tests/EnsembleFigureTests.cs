using Chorus.Ensembles;
using Chorus.Explanations;
using Chorus.Reports.Figures;
using SkiaSharp;

namespace Chorus.Reports.Tests;

public class EnsembleFigureTests
{
    [Fact]
    public void Disagreement_IsALastPanel_BrightWhereMembersDisagree_DarkWhereTheyAgree()
    {
        // Given: two members of a 16×16 image that agree on the left half and cancel on the right half
        const int s = 16;
        var rgb = new byte[s * s * 3];
        var a = new SaliencyMap(s, s, [.. Enumerable.Range(0, s * s).Select(p => 1f)]);
        var b = new SaliencyMap(s, s, [.. Enumerable.Range(0, s * s).Select(p => p % s < 8 ? 1f : -1f)]);
        SaliencyMap[] members = [a, b];
        var ensemble = EnsembleAggregator.Mean.Aggregate(members);
        var disagreement = EnsembleAggregator.Disagreement(members);

        // When: drawn with and without the disagreement panel (scale 2, one row)
        using var plain = SKBitmap.Decode(EnsembleFigure.RenderPng(rgb, s, s, null, members, ensemble, scale: 2));
        using var withPanel = SKBitmap.Decode(EnsembleFigure.RenderPng(rgb, s, s, null, members, ensemble, scale: 2, disagreement: disagreement));

        // Then: one more panel (the image, 2 members, the ensemble, the disagreement), bright on the right half, dark on the left
        const int gap = 6, pw = s * 2;
        Assert.Equal(plain.Width + pw + gap, withPanel.Width);
        var ox = gap + (4 * (pw + gap));
        var agreed = withPanel.GetPixel(ox + 4, gap + 10);
        var split = withPanel.GetPixel(ox + pw - 4, gap + 10);
        Assert.True(Brightness(split) > Brightness(agreed) + 100, $"disagreeing {split} vs agreeing {agreed}");
    }

    private static int Brightness(SKColor c) => c.Red + c.Green + c.Blue;
}
