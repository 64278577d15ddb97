using Chorus.Torch.Attribution;
using TorchSharp;

namespace Chorus.Torch.Tests.Attribution;

public class FactoryTests
{
    [Theory]
    [InlineData("saliency", typeof(Saliency))]
    [InlineData("input-x-gradient", typeof(InputXGradient))]
    [InlineData("integrated-gradients", typeof(IntegratedGradients))]
    [InlineData("gradient-shap", typeof(GradientShap))]
    [InlineData("grad-cam", typeof(GradCam))]
    [InlineData("grad-cam-plus-plus", typeof(GradCamPlusPlus))]
    [InlineData("occlusion", typeof(Occlusion))]
    [InlineData("smoothgrad", typeof(NoiseTunnel))]
    public void Create_KnownName_BuildsMethodWithThatName(string name, Type type)
    {
        using var g = new torch.Generator(1);
        var method = AttributionMethodFactory.Create(name, null, g);
        Assert.IsType(type, method);
        Assert.Equal(name, method.Name);
        Assert.Contains(name, AttributionMethodFactory.Names);
    }

    [Fact]
    public void Create_SmoothGrad_WrapsSaliencyByDefaultOrTheNamedMethod()
    {
        using var g = new torch.Generator(1);
        Assert.IsType<Saliency>(Assert.IsType<NoiseTunnel>(AttributionMethodFactory.Create("smoothgrad", null, g)).Inner);
        var wrapped = Assert.IsType<NoiseTunnel>(AttributionMethodFactory.Create("smoothgrad:integrated-gradients", null, g));
        Assert.IsType<IntegratedGradients>(wrapped.Inner);
        var settings = new AttributionSettings { SmoothGradInner = "input-x-gradient" };
        Assert.IsType<InputXGradient>(Assert.IsType<NoiseTunnel>(AttributionMethodFactory.Create("smoothgrad", settings, g)).Inner);
    }

    [Fact]
    public void Create_UnknownNameOrMissingGenerator_NamesArgument()
    {
        Assert.Equal("name", Assert.ThrowsAny<ArgumentException>(() => AttributionMethodFactory.Create("lime")).ParamName);
        Assert.Equal("name", Assert.ThrowsAny<ArgumentException>(() => AttributionMethodFactory.Create("saliency:grad-cam")).ParamName);
        Assert.Equal("generator", Assert.ThrowsAny<ArgumentException>(() => AttributionMethodFactory.Create("gradient-shap")).ParamName);
        Assert.Equal("generator", Assert.ThrowsAny<ArgumentException>(() => AttributionMethodFactory.Create("smoothgrad")).ParamName);
        Assert.True(AttributionMethodFactory.IsStochastic("smoothgrad:saliency"));
        Assert.False(AttributionMethodFactory.IsStochastic("occlusion"));
    }

    [Fact]
    public void Options_Defaults_FollowCaptum()
    {
        Assert.True(new SaliencyOptions().Abs);
        var ig = new IntegratedGradientsOptions();
        Assert.Equal(50, ig.Steps);
        Assert.Equal(IntegrationRule.GaussLegendre, ig.Rule);
        Assert.Null(ig.InternalBatchSize);
        Assert.Equal(5, new GradientShapOptions().Samples);
        Assert.Equal(0.0, new GradientShapOptions().Stdevs);
        Assert.False(new GradCamOptions().Relu);
        Assert.Equal(CamUpsample.None, new GradCamOptions().Upsample);
        Assert.True(new GradCamPlusPlusOptions().Relu);
        var nt = new NoiseTunnelOptions();
        Assert.Equal((NoiseTunnelType.SmoothGrad, 5, 1.0), (nt.Type, nt.Samples, nt.Stdevs));
        Assert.Equal(1, new OcclusionOptions().PerturbationsPerEval);
    }

    [Fact]
    public void Settings_SerialiseToJson_ForTheRunManifest()
    {
        using var b = torch.zeros(1, 3, 4, 4);
        var settings = new AttributionSettings
        {
            IntegratedGradients = new IntegratedGradientsOptions(Baseline: Baseline.FromTensor(b)),
            GradientShap = new GradientShapOptions(GradientShapOptions.DefaultReferences),
        };
        var json = System.Text.Json.JsonSerializer.Serialize(settings);
        Assert.Contains("\"Steps\":50", json, StringComparison.Ordinal);
        Assert.Contains("\"KernelSize\":9", json, StringComparison.Ordinal);
    }
}
