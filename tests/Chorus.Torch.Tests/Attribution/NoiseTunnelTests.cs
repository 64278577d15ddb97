using Chorus.Torch.Attribution;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class NoiseTunnelTests
{
    [Fact]
    public void NoiseTunnel_ZeroNoise_EqualsInnerMethodAndVarGradIsZero()
    {
        using var model = Cnn();
        using var x = Randn(61, 2, 3, 8, 8);
        using var t = Targets(0, 1);
        using var g = new Generator(1);
        using var inner = new Saliency(new SaliencyOptions(false)).Attribute(model, x, t);
        using var sg = new NoiseTunnel(new Saliency(new SaliencyOptions(false)), g, new NoiseTunnelOptions(Samples: 3, Stdevs: 0)).Attribute(model, x, t);
        using var vg = new NoiseTunnel(new Saliency(new SaliencyOptions(false)), g, new NoiseTunnelOptions(NoiseTunnelType.VarGrad, 3, 0)).Attribute(model, x, t);
        AssertClose(inner, sg, 1e-7, 1e-5);
        Assert.All(Values(vg), v => Assert.True(Math.Abs(v) < 1e-9));
    }

    [Fact]
    public void NoiseTunnel_Types_AreMeanMeanOfSquaresAndVariance()
    {
        using var model = Cnn();
        using var x = Randn(62, 2, 3, 8, 8);
        using var t = Targets(2, 3);
        Tensor Run(NoiseTunnelType type)
        {
            using var g = new Generator(8);
            return new NoiseTunnel(new InputXGradient(), g, new NoiseTunnelOptions(type, 4, 0.5)).Attribute(model, x, t);
        }

        using var mean = Run(NoiseTunnelType.SmoothGrad);
        using var sq = Run(NoiseTunnelType.SmoothGradSquared);
        using var vg = Run(NoiseTunnelType.VarGrad);
        using var expected = sq - (mean * mean);
        AssertClose(expected, vg, 1e-7, 1e-5);

        // By hand: the same noise drawn sample by sample
        using var g2 = new Generator(8);
        using var scope = NewDisposeScope();
        var sum = torch.zeros_like(x);
        for (var s = 0; s < 4; s++)
        {
            var noisy = x + (torch.randn(x.shape, generator: g2) * 0.5);
            sum.add_(new InputXGradient().Attribute(model, noisy, t));
        }

        AssertClose(sum / 4, mean, 1e-6, 1e-5);
    }

    [Fact]
    public void NoiseTunnel_SamplesBatchSize_Identical()
    {
        using var model = Cnn();
        using var x = Randn(63, 3, 3, 8, 8);
        using var t = Targets(0, 1, 2);
        Tensor Run(int? batch)
        {
            using var g = new Generator(4);
            return new NoiseTunnel(new Saliency(), g, new NoiseTunnelOptions(NoiseTunnelType.SmoothGradSquared, 5, 0.2, batch)).Attribute(model, x, t);
        }

        using var all = Run(null);
        using var one = Run(1);
        using var two = Run(2);
        AssertIdentical(all, one);
        AssertIdentical(all, two);
    }
}
