using Chorus.Reports.Html;

namespace Chorus.Reports.Tests;

public class ViolinTests
{
    [Fact]
    public void ViolinsFigure_SameValuesForEnsAndExp_HalvesMirrorEachOther()
    {
        // Given: identical Ens and Exp values
        double[] values = [.. Enumerable.Range(0, 30).Select(i => 0.3 + (0.2 * Math.Sin(i)))];
        var groups = new[] { new BoxGroup("saliency", values, values) };

        // When
        var figure = SvgPlots.ViolinsFigure("t", "pearson", groups);

        // Then: two filled closed outlines, the Exp one is the Ens one reflected about the centre line
        var halves = figure.Elements.OfType<PlotPath>().Where(p => p.Closed && p.Fill is not null && p.FillOpacity < 1).ToList();
        Assert.Equal(2, halves.Count);
        Assert.Equal(SvgPlots.EnsColour, halves[0].Fill);
        Assert.Equal(SvgPlots.ExpColour, halves[1].Fill);
        var cx = halves[0].Points[0].X;
        Assert.Equal(halves[0].Points.Count, halves[1].Points.Count);
        for (var i = 0; i < halves[0].Points.Count; i++)
        {
            Assert.Equal(cx - halves[0].Points[i].X, halves[1].Points[i].X - cx, 9);
            Assert.Equal(halves[0].Points[i].Y, halves[1].Points[i].Y, 9);
        }

        Assert.True(halves[0].Points.Min(p => p.X) < cx - 5, "the Ens half extends to the left");
        Assert.True(halves[1].Points.Max(p => p.X) > cx + 5, "the Exp half extends to the right");
    }

    [Fact]
    public void ViolinsFigure_WiderSpread_IsTallerAndFlatter()
    {
        // Given: Exp spread 3× wider than Ens
        double[] ens = [.. Enumerable.Range(0, 30).Select(i => 0.5 + (0.05 * Math.Sin(i)))];
        double[] exp = [.. Enumerable.Range(0, 30).Select(i => 0.5 + (0.15 * Math.Sin(i)))];

        // When
        var figure = SvgPlots.ViolinsFigure("t", "m", [new BoxGroup("g", ens, exp)]);

        // Then
        var halves = figure.Elements.OfType<PlotPath>().Where(p => p.Closed && p.Fill is not null && p.FillOpacity < 1).ToList();
        var cx = halves[0].Points[0].X;
        double Height(PlotPath p) => p.Points.Max(q => q.Y) - p.Points.Min(q => q.Y);
        Assert.True(Height(halves[1]) > 2 * Height(halves[0]));
        Assert.True(cx - halves[0].Points.Min(p => p.X) > halves[1].Points.Max(p => p.X) - cx, "the narrower distribution has the higher peak");
    }
}
