using Chorus.Torch.Attribution;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class IntegratedGradientsTests
{
    [Fact]
    public void IntegratedGradients_NonlinearCnnGaussLegendre50_IsComplete()
    {
        // Given
        using var model = Cnn();
        using var x = Randn(21, 3, 3, 8, 8);
        using var t = Targets(0, 3, 1);
        var ig = new IntegratedGradients();

        // When
        using var attr = ig.Attribute(model, x, t, out var delta);
        using var _ = delta;

        // Then: Σ attr ≈ f(x) − f(0), and delta is exactly that difference
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var fx = model.Forward(x).gather(1, t.unsqueeze(1)).squeeze(1);
        var f0 = model.Forward(torch.zeros_like(x)).gather(1, t.unsqueeze(1)).squeeze(1);
        var gap = fx - f0;
        var sums = attr.sum([1, 2, 3]);
        AssertClose(sums - gap, delta, 1e-5, 1e-4);
        var d = Values(delta);
        var g = Values(gap);
        for (var i = 0; i < d.Length; i++)
        {
            Assert.True(Math.Abs(d[i]) <= 1e-3 * Math.Max(1, Math.Abs(g[i])), $"image {i}: delta {d[i]} for f(x)-f(0) = {g[i]}");
        }

        Assert.True(g.Any(v => Math.Abs(v) > 1e-2), "the test needs a nonzero f(x) - f(0)");
    }

    [Fact]
    public void IntegratedGradients_FewStepsRiemann_HasLargerDeltaThanGaussLegendre()
    {
        using var model = Cnn();
        using var x = Randn(22, 2, 3, 8, 8);
        using var t = Targets(1, 2);
        using var a = new IntegratedGradients(new IntegratedGradientsOptions(50)).Attribute(model, x, t, out var gl);
        using var b = new IntegratedGradients(new IntegratedGradientsOptions(3, IntegrationRule.RiemannRight)).Attribute(model, x, t, out var rr);
        using (gl)
        using (rr)
        {
            Assert.True(Values(gl.abs()).Sum() < Values(rr.abs()).Sum());
        }
    }

    [Theory]
    [InlineData(IntegrationRule.GaussLegendre)]
    [InlineData(IntegrationRule.RiemannTrapezoid)]
    public void IntegratedGradients_InternalBatchSize1And7AndNone_Identical(IntegrationRule rule)
    {
        using var model = Cnn();
        using var x = Randn(23, 4, 3, 8, 8);
        using var t = Targets(0, 1, 2, 3);
        IntegratedGradients Ig(int? ibs) => new(new IntegratedGradientsOptions(11, rule, Baseline.Constant(-0.3), ibs));

        using var none = Ig(null).Attribute(model, x, t);
        using var one = Ig(1).Attribute(model, x, t);
        using var seven = Ig(7).Attribute(model, x, t);
        using var big = Ig(1000).Attribute(model, x, t);

        AssertIdentical(none, one);
        AssertIdentical(none, seven);
        AssertIdentical(none, big);
    }
}
