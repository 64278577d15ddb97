using Chorus.Statistics;

namespace Chorus.Core.Tests.Statistics;

public class BootstrapTests
{
    private static readonly double[] Values = [.. Enumerable.Range(0, 50).Select(i => Math.Sin(i) + (i * 0.01))];

    [Fact]
    public void MeanCi_ContainsTheSampleMean_AndIsDeterministicForASeed()
    {
        // When
        var a = Bootstrap.MeanCi(Values, new BootstrapOptions(Seed: 7));
        var b = Bootstrap.MeanCi(Values, new BootstrapOptions(Seed: 7));
        var c = Bootstrap.MeanCi(Values, new BootstrapOptions(Seed: 8));

        // Then
        Assert.True(a.Contains(Values.Average()));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(a.Low < a.High);
    }

    [Fact]
    public void MeanCi_WidthMatchesStandardError()
    {
        // Given n = 50: the 95 % percentile interval of the mean is about ±1.96·s/√n
        var s = Math.Sqrt(Values.Sum(x => (x - Values.Average()) * (x - Values.Average())) / 49);
        var ci = Bootstrap.MeanCi(Values);
        var expected = 2 * 1.96 * s / Math.Sqrt(50);
        Assert.InRange(ci.High - ci.Low, 0.8 * expected, 1.2 * expected);
    }

    [Fact]
    public void MeanCi_ConstantAndEmptyAndNaN()
    {
        Assert.Equal(new ConfidenceInterval(3, 3), Bootstrap.MeanCi([3.0, 3, 3]));
        var empty = Bootstrap.MeanCi([double.NaN]);
        Assert.True(double.IsNaN(empty.Low) && double.IsNaN(empty.High));
        Assert.Equal(new ConfidenceInterval(2, 2), Bootstrap.MeanCi([2.0, double.NaN]));
    }

    [Fact]
    public void PairedDifferences_SkipsPairsWithNaN()
    {
        Assert.Equal([1.0, -2.0], Bootstrap.PairedDifferences([3.0, double.NaN, 0], [2.0, 1, 2]));
    }
}
