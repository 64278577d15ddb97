using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using Chorus.Torch.Tests.TestModels;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

[CollectionDefinition("Sequential", DisableParallelization = true)]
public sealed class SequentialCollection
{
}

/// <summary>Inputs, models and comparisons shared by the attribution tests.</summary>
internal static class AttributionTestKit
{
    public static Tensor Randn(ulong seed, params long[] shape)
    {
        using var g = new Generator(seed);
        return torch.randn(shape, generator: g);
    }

    public static Tensor Targets(params long[] values) => torch.tensor(values, dtype: ScalarType.Int64);

    public static float[] Values(Tensor t) => t.detach().cpu().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();

    /// <summary>|actual − expected| ≤ atol + rtol·|expected| elementwise, with a useful message.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-5, double rtol = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = Values(expected);
        var a = Values(actual);
        var worst = 0.0;
        var at = -1;
        for (var i = 0; i < e.Length; i++)
        {
            var excess = Math.Abs(a[i] - e[i]) - (atol + (rtol * Math.Abs(e[i])));
            if (excess > worst || double.IsNaN(a[i]))
            {
                worst = double.IsNaN(a[i]) ? double.PositiveInfinity : excess;
                at = i;
            }
        }

        Assert.True(at < 0, at < 0 ? string.Empty : $"element {at}: expected {e[at]}, got {a[at]} (atol {atol}, rtol {rtol})");
    }

    /// <summary>Bitwise equality.</summary>
    public static void AssertIdentical(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(Values(expected), Values(actual));
    }

    public static double RelativeL2(Tensor reference, Tensor estimate)
    {
        using var scope = NewDisposeScope();
        var r = reference.to_type(ScalarType.Float64);
        return (estimate.to_type(ScalarType.Float64) - r).norm().item<double>() / r.norm().item<double>();
    }

    /// <summary>
    /// Every method, by name, built deterministically (stochastic ones get their own seeded generator) and small
    /// enough for the TinyCnn on 8×8 inputs.
    /// </summary>
    public static IAttributionMethod Create(string name, Generator? generator = null)
    {
        var settings = new AttributionSettings
        {
            IntegratedGradients = new IntegratedGradientsOptions(Steps: 8),
            GradientShap = new GradientShapOptions(Samples: 4, Stdevs: 0.1),
            GradCam = new GradCamOptions(Upsample: CamUpsample.Bilinear),
            Occlusion = new OcclusionOptions([3, 3], [2, 2]),
            NoiseTunnel = new NoiseTunnelOptions(Samples: 3, Stdevs: 0.2),
        };
        return AttributionMethodFactory.Create(name, settings, generator);
    }

    public static TinyCnn Cnn() => new(channels: 3, classes: 4);

    /// <summary>
    /// SmallCnn (conv → BatchNorm → ReLU → pool blocks, global max pool) with seeded random weights and non-trivial
    /// BatchNorm statistics (running mean ~ N(0, 0.1²), running var in [0.5, 1.5)), in eval mode.
    /// </summary>
    public static SmallCnn SmallCnnWithStatistics(long seed, int classes)
    {
        torch.manual_seed(seed);
        var model = new SmallCnn(classes, widths: [8, 16, 16, 16]);
        using (torch.no_grad())
        {
            foreach (var (name, t) in model.named_buffers())
            {
                if (name.EndsWith("running_mean", StringComparison.Ordinal))
                {
                    t.copy_(torch.randn(t.shape) * 0.1);
                }
                else if (name.EndsWith("running_var", StringComparison.Ordinal))
                {
                    t.copy_(torch.rand(t.shape) + 0.5);
                }
            }
        }

        model.eval();
        return model;
    }
}
