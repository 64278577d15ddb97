using Chorus.Torch.Attribution;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class ValidationTests
{
    public static TheoryData<string> Names => new()
    {
        "saliency", "input-x-gradient", "integrated-gradients", "gradient-shap", "grad-cam", "grad-cam-plus-plus", "occlusion", "smoothgrad",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Attribute_BadArguments_NameTheArgument(string name)
    {
        using var model = Cnn();
        using var g = new Generator(1);
        var method = Create(name, g);
        using var x = Randn(71, 2, 3, 8, 8);

        // target out of [0, K)
        using (var t = Targets(0, 4))
        {
            Assert.Equal("target", Assert.ThrowsAny<ArgumentException>(() => method.Attribute(model, x, t)).ParamName);
        }

        using (var t = Targets(-1, 0))
        {
            Assert.Equal("target", Assert.ThrowsAny<ArgumentException>(() => method.Attribute(model, x, t)).ParamName);
        }

        // wrong target length and dtype
        using (var t = Targets(0))
        {
            Assert.Equal("target", Assert.ThrowsAny<ArgumentException>(() => method.Attribute(model, x, t)).ParamName);
        }

        using (var t = tensor(new[] { 0, 1 }))
        {
            Assert.Equal("target", Assert.ThrowsAny<ArgumentException>(() => method.Attribute(model, x, t)).ParamName);
        }

        using var ok = Targets(0, 1);

        // wrong rank
        using (var x3 = Randn(72, 3, 8, 8))
        {
            Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => method.Attribute(model, x3, ok)).ParamName);
        }

        // NaN / Inf
        using (var bad = x.clone())
        {
            bad[1, 2, 3, 4] = tensor(float.NaN);
            Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => method.Attribute(model, bad, ok)).ParamName);
            bad[1, 2, 3, 4] = tensor(float.PositiveInfinity);
            Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => method.Attribute(model, bad, ok)).ParamName);
        }
    }

    [Theory]
    [InlineData("grad-cam")]
    [InlineData("grad-cam-plus-plus")]
    public void GradCam_UnknownLayer_NamesLayer(string name)
    {
        using var model = Cnn();
        using var x = Randn(73, 1, 3, 8, 8);
        using var t = Targets(0);
        var settings = new AttributionSettings { GradCam = new GradCamOptions("fc9"), GradCamPlusPlus = new GradCamPlusPlusOptions("fc9") };
        var e = Assert.ThrowsAny<ArgumentException>(() => AttributionMethodFactory.Create(name, settings).Attribute(model, x, t));
        Assert.Equal("layer", e.ParamName);
        Assert.Contains("fc9", e.Message, StringComparison.Ordinal);
        Assert.Equal("layer", Assert.ThrowsAny<ArgumentException>(() => FusedGradientPass.Compute(model, x, t, new FusedPassOptions(GradCam: new GradCamOptions("nope")))).ParamName);
    }

    [Fact]
    public void Baselines_ShapeMismatch_NameBaseline()
    {
        using var model = Cnn();
        using var x = Randn(74, 2, 3, 8, 8);
        using var t = Targets(0, 1);
        using var wrong = zeros(2, 3, 8, 7);
        using var wrongN = zeros(3, 3, 8, 8);
        using var nan = full(new long[] { 1, 3, 8, 8 }, float.NaN);
        foreach (var b in new[] { wrong, wrongN, nan })
        {
            var ig = new IntegratedGradients(new IntegratedGradientsOptions(Baseline: Baseline.FromTensor(b)));
            Assert.Equal("baseline", Assert.ThrowsAny<ArgumentException>(() => ig.Attribute(model, x, t)).ParamName);
            var occ = new Occlusion(new OcclusionOptions([2, 2], Baseline: Baseline.FromTensor(b)));
            Assert.Equal("baseline", Assert.ThrowsAny<ArgumentException>(() => occ.Attribute(model, x, t)).ParamName);
        }

        using var g = new Generator(1);
        var shap = new GradientShap(g, new GradientShapOptions([Baseline.Zeros, Baseline.FromTensor(wrong)]));
        Assert.Equal("references", Assert.ThrowsAny<ArgumentException>(() => shap.Attribute(model, x, t)).ParamName);
    }

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        Assert.Equal("Steps", Assert.ThrowsAny<ArgumentException>(() => new IntegratedGradients(new IntegratedGradientsOptions(0))).ParamName);
        Assert.Equal("InternalBatchSize", Assert.ThrowsAny<ArgumentException>(() => new IntegratedGradientsOptions(InternalBatchSize: 0).Validate()).ParamName);
        Assert.Equal("Samples", Assert.ThrowsAny<ArgumentException>(() => new GradientShapOptions(Samples: 0).Validate()).ParamName);
        Assert.Equal("Stdevs", Assert.ThrowsAny<ArgumentException>(() => new NoiseTunnelOptions(Stdevs: -1).Validate()).ParamName);
        Assert.Equal("Window", Assert.ThrowsAny<ArgumentException>(() => new OcclusionOptions([1]).Validate()).ParamName);
        Assert.Equal("Strides", Assert.ThrowsAny<ArgumentException>(() => new OcclusionOptions([2, 2], [1]).Validate()).ParamName);
        Assert.Equal("kernelSize", Assert.ThrowsAny<ArgumentException>(() => Baseline.Blurred(4)).ParamName);
    }

    [Fact]
    public void Occlusion_WindowLargerThanInputOrStrideLargerThanWindow_Throws()
    {
        using var model = Cnn();
        using var x = Randn(75, 1, 3, 8, 8);
        using var t = Targets(0);
        Assert.ThrowsAny<ArgumentException>(() => new Occlusion(new OcclusionOptions([9, 9])).Attribute(model, x, t));
        Assert.ThrowsAny<ArgumentException>(() => new Occlusion(new OcclusionOptions([2, 2], [3, 3])).Attribute(model, x, t));
    }
}
