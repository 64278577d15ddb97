using Chorus.Torch.Attribution;

namespace Chorus.Torch.Tests.Attribution;

public class QuadratureTests
{
    [Fact]
    public void GaussLegendre_N5_MatchesKnownNodesAndWeights()
    {
        // Given: the classical 5-point rule on [-1, 1]
        var a = Math.Sqrt(5 - (2 * Math.Sqrt(10.0 / 7))) / 3;
        var b = Math.Sqrt(5 + (2 * Math.Sqrt(10.0 / 7))) / 3;
        var wa = (322 + (13 * Math.Sqrt(70))) / 900;
        var wb = (322 - (13 * Math.Sqrt(70))) / 900;
        double[] nodes = [-b, -a, 0, a, b];
        double[] weights = [wb, wa, 128.0 / 225, wa, wb];

        // When
        var (x, w) = Quadrature.GaussLegendre(5);

        // Then
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(nodes[i], x[i], 1e-15);
            Assert.Equal(weights[i], w[i], 1e-15);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(50)]
    [InlineData(200)]
    public void GaussLegendre_AnyN_AscendingSymmetricAndExactForPolynomials(int n)
    {
        var (x, w) = Quadrature.GaussLegendre(n);
        Assert.Equal(2.0, w.Sum(), 1e-13);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(-x[n - 1 - i], x[i], 1e-15);
            Assert.Equal(w[n - 1 - i], w[i], 1e-15);
            if (i > 0)
            {
                Assert.True(x[i] > x[i - 1]);
            }
        }

        // Exact for degree 2n-1: ∫ x^(2n-2) over [-1,1] = 2/(2n-1)
        var integral = x.Zip(w, (xi, wi) => wi * Math.Pow(xi, (2 * n) - 2)).Sum();
        Assert.Equal(2.0 / ((2 * n) - 1), integral, 1e-12);
    }

    [Fact]
    public void StepSizesAndAlphas_GaussLegendre_MapsToUnitInterval()
    {
        var (steps, alphas) = Quadrature.StepSizesAndAlphas(IntegrationRule.GaussLegendre, 5);
        var (x, w) = Quadrature.GaussLegendre(5);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0.5 * w[i], steps[i]);
            Assert.Equal(0.5 * (1 + x[i]), alphas[i]);
        }
    }

    [Theory]
    [InlineData(IntegrationRule.RiemannLeft, new[] { 0.25, 0.25, 0.25, 0.25 }, new[] { 0.0, 0.25, 0.5, 0.75 })]
    [InlineData(IntegrationRule.RiemannRight, new[] { 0.25, 0.25, 0.25, 0.25 }, new[] { 0.25, 0.5, 0.75, 1.0 })]
    [InlineData(IntegrationRule.RiemannMiddle, new[] { 0.25, 0.25, 0.25, 0.25 }, new[] { 0.125, 0.375, 0.625, 0.875 })]
    [InlineData(IntegrationRule.RiemannTrapezoid, new[] { 0.125, 0.25, 0.25, 0.125 }, new[] { 0.0, 1.0 / 3, 2.0 / 3, 1.0 })]
    public void StepSizesAndAlphas_Riemann_MatchCaptum(IntegrationRule rule, double[] steps, double[] alphas)
    {
        var (s, a) = Quadrature.StepSizesAndAlphas(rule, 4);
        Assert.Equal(steps, s);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(alphas[i], a[i], 1e-15);
        }
    }

    [Fact]
    public void StepSizesAndAlphas_RiemannWithOneStep_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Quadrature.StepSizesAndAlphas(IntegrationRule.RiemannTrapezoid, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradientsOptions(Steps: 1, Rule: IntegrationRule.RiemannLeft).Validate());
    }

    [Fact]
    public void Parse_CaptumNames_RoundTrip()
    {
        foreach (var rule in Enum.GetValues<IntegrationRule>())
        {
            Assert.Equal(rule, Quadrature.Parse(Quadrature.Name(rule)));
        }

        Assert.Equal(IntegrationRule.RiemannTrapezoid, Quadrature.Parse("riemann-trapezoid"));
        Assert.Equal("method", Assert.Throws<ArgumentException>(() => Quadrature.Parse("simpson")).ParamName);
    }
}
