using Chorus.Reports.Figures;

namespace Chorus.Reports.Tests;

public class QualityCostPlotTests
{
    [Fact]
    public void ParetoFront_KeepsThePointsNoOtherIsCheaperAndBetterThan()
    {
        QualityCostPoint[] points =
        [
            new("cheap-poor", 1, 0.1), new("cheap-good", 1, 0.3), new("mid", 10, 0.5), new("dear-worse", 100, 0.4),
            new("dear-best", 100, 0.9), new("tie-costlier", 20, 0.5), new("nan", double.NaN, 1),
        ];

        var front = QualityCostPlot.ParetoFront(points);

        Assert.Equal(["cheap-good", "mid", "dear-best"], front.Select(p => p.Label));
    }

    [Fact]
    public void Svg_LabelsEveryPoint_AndJoinsTheFront()
    {
        var svg = QualityCostPlot.Svg([new QualityCostPanel("pearson · beak", [new("a", 1, 0.1), new("b", 10, 0.5), new("c & d", 5, 0.05)])]);

        Assert.StartsWith("<svg", svg);
        Assert.Contains("pearson · beak", svg);
        Assert.Contains(">c &amp; d<", svg);
        Assert.Single(svg.Split("<polyline").Skip(1));
        Assert.Equal(3, svg.Split("<circle").Length - 1);
        System.Xml.Linq.XDocument.Parse(svg);
    }
}
