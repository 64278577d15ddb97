using Chorus.Torch.Attribution;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class GradientShapTests
{
    [Fact]
    public void GradientShap_SingleZeroReferenceNoNoise_ConvergesToIntegratedGradientsLikeInverseSqrtN()
    {
        // Given: E[GradientShap] with one zero reference and σ = 0 is IG from zero
        using var model = Cnn();
        using var x = Randn(31, 2, 3, 8, 8).mul_(2);
        using var t = Targets(2, 0);
        using var ig = new IntegratedGradients(new IntegratedGradientsOptions(64)).Attribute(model, x, t);

        // When
        double Error(int samples)
        {
            using var g = new Generator(1234);
            var shap = new GradientShap(g, new GradientShapOptions([Baseline.Zeros], samples, 0, InternalBatchSize: 64));
            using var attr = shap.Attribute(model, x, t);
            return RelativeL2(ig, attr);
        }

        var e8 = Error(8);
        var e128 = Error(128);
        var e2048 = Error(2048);

        // Then: 16× the samples → about 4× smaller error (allow 2×–12×)
        Assert.True(e128 < e8 / 2 && e128 > e8 / 12, $"e8 {e8}, e128 {e128}");
        Assert.True(e2048 < e128 / 2 && e2048 > e128 / 12, $"e128 {e128}, e2048 {e2048}");
        Assert.True(e2048 < 0.05, $"e2048 {e2048}");
    }

    [Fact]
    public void GradientShap_TwoReferences_ConvergesToMeanOfIntegratedGradients()
    {
        // The golden file's definition: E = mean over the references of IG with that reference.
        using var model = Cnn();
        using var x = Randn(32, 2, 3, 8, 8);
        using var b = Randn(33, 2, 3, 8, 8);
        using var t = Targets(1, 3);
        using var ig0 = new IntegratedGradients(new IntegratedGradientsOptions(64)).Attribute(model, x, t);
        using var igb = new IntegratedGradients(new IntegratedGradientsOptions(64, Baseline: Baseline.FromTensor(b))).Attribute(model, x, t);
        using var expected = (ig0 + igb) / 2;
        using var g = new Generator(5);
        var shap = new GradientShap(g, new GradientShapOptions([Baseline.Zeros, Baseline.FromTensor(b)], 2048, InternalBatchSize: 512));
        using var attr = shap.Attribute(model, x, t);
        Assert.True(RelativeL2(expected, attr) < 0.06, $"relative L2 {RelativeL2(expected, attr)}");
    }

    [Fact]
    public void GradientShap_InternalBatchSize_IdenticalWithSameSeed()
    {
        using var model = Cnn();
        using var x = Randn(34, 4, 3, 8, 8);
        using var t = Targets(0, 1, 2, 3);
        Tensor Run(int? ibs)
        {
            using var g = new Generator(99);
            return new GradientShap(g, new GradientShapOptions(null, 6, 0.3, ibs)).Attribute(model, x, t);
        }

        using var none = Run(null);
        using var one = Run(1);
        using var seven = Run(7);
        AssertIdentical(none, one);
        AssertIdentical(none, seven);
    }

    [Fact]
    public void GradientShap_DifferentSeeds_Differ()
    {
        using var model = Cnn();
        using var x = Randn(35, 1, 3, 8, 8);
        using var t = Targets(0);
        using var g1 = new Generator(1);
        using var g2 = new Generator(2);
        using var a = new GradientShap(g1).Attribute(model, x, t);
        using var b = new GradientShap(g2).Attribute(model, x, t);
        Assert.NotEqual(Values(a), Values(b));
    }
}
