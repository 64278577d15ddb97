using Chorus.Torch.Attribution;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;

namespace Chorus.Torch.Tests.Attribution;

public class FusedGradientPassTests
{
    [Theory]
    [InlineData(true, CamUpsample.None, "relu2")]
    [InlineData(false, CamUpsample.Bilinear, "conv1")]
    public void Compute_OnePass_EqualsSeparateMethods(bool abs, CamUpsample upsample, string layer)
    {
        using var model = Cnn();
        using var x = Randn(81, 3, 3, 8, 8);
        using var t = Targets(0, 2, 3);
        var cam = new GradCamOptions(layer, Relu: true, upsample);

        using var fused = FusedGradientPass.Compute(model, x, t, new FusedPassOptions(abs, cam));

        using var saliency = new Saliency(new SaliencyOptions(abs)).Attribute(model, x, t);
        using var ixg = new InputXGradient().Attribute(model, x, t);
        using var gc = new GradCam(cam).Attribute(model, x, t);
        AssertIdentical(saliency, fused.Saliency);
        AssertIdentical(ixg, fused.InputXGradient);
        AssertIdentical(gc, fused.GradCam);
    }
}
