using Chorus.Torch.Attribution;
using Chorus.Torch.Tests.TestModels;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

/// <summary>Closed forms on logits = W·flatten(x) + b.</summary>
public sealed class LinearModelTests : IDisposable
{
    private readonly LinearClassifier _model = new(2, 3, 3, 3);
    private readonly Tensor _x = Randn(11, 4, 2, 3, 3);
    private readonly Tensor _t = Targets(0, 2, 1, 2);

    /// <summary>W[t] as [N,C,H,W].</summary>
    private Tensor WT => _model.Weight.detach().index_select(0, _t).view(4, 2, 3, 3);

    public void Dispose()
    {
        _x.Dispose();
        _t.Dispose();
        _model.Dispose();
    }

    [Fact]
    public void Saliency_Linear_IsAbsoluteWeightRow()
    {
        AssertClose(WT.abs(), new Saliency().Attribute(_model, _x, _t), 0, 0);
        AssertClose(WT, new Saliency(new SaliencyOptions(Abs: false)).Attribute(_model, _x, _t), 0, 0);
    }

    [Fact]
    public void InputXGradient_Linear_IsWeightTimesInput()
    {
        AssertClose(WT * _x, new InputXGradient().Attribute(_model, _x, _t), 0, 0);
    }

    [Theory]
    [InlineData(IntegrationRule.GaussLegendre, 50)]
    [InlineData(IntegrationRule.GaussLegendre, 7)]
    [InlineData(IntegrationRule.RiemannLeft, 10)]
    [InlineData(IntegrationRule.RiemannRight, 10)]
    [InlineData(IntegrationRule.RiemannMiddle, 10)]
    [InlineData(IntegrationRule.RiemannTrapezoid, 20)]
    public void IntegratedGradients_LinearZeroBaseline_IsWeightTimesInputTimesStepSum(IntegrationRule rule, int steps)
    {
        // Captum's step sizes sum to 1 for every rule except riemann_trapezoid, whose n steps of 1/n with both ends
        // halved sum to (n - 1)/n: reproduced on purpose (it is what the golden vectors hold).
        var (stepSizes, _) = Quadrature.StepSizesAndAlphas(rule, steps);
        var total = stepSizes.Sum();
        Assert.Equal(rule == IntegrationRule.RiemannTrapezoid ? (steps - 1.0) / steps : 1.0, total, 1e-12);

        var ig = new IntegratedGradients(new IntegratedGradientsOptions(steps, rule));
        AssertClose(WT * _x * total, ig.Attribute(_model, _x, _t), 1e-6, 1e-5);
    }

    [Fact]
    public void IntegratedGradients_LinearConstantAndTensorBaselines_AreWeightTimesDifference()
    {
        var constant = new IntegratedGradients(new IntegratedGradientsOptions(Baseline: Baseline.Constant(0.5)));
        AssertClose(WT * (_x - 0.5), constant.Attribute(_model, _x, _t), 1e-6, 1e-5);

        var b = Randn(12, 1, 2, 3, 3);
        var broadcast = new IntegratedGradients(new IntegratedGradientsOptions(Baseline: Baseline.FromTensor(b)));
        AssertClose(WT * (_x - b), broadcast.Attribute(_model, _x, _t), 1e-6, 1e-5);

        var full = Randn(13, 4, 2, 3, 3);
        var perImage = new IntegratedGradients(new IntegratedGradientsOptions(Baseline: Baseline.FromTensor(full)));
        AssertClose(WT * (_x - full), perImage.Attribute(_model, _x, _t), 1e-6, 1e-5);
    }

    [Fact]
    public void IntegratedGradients_Linear_DeltaIsZero()
    {
        var attr = new IntegratedGradients().Attribute(_model, _x, _t, out var delta);
        Assert.Equal([4L], delta.shape);
        Assert.All(Values(delta), d => Assert.True(Math.Abs(d) < 1e-4, $"delta {d}"));
        Assert.Equal([4L, 2, 3, 3], attr.shape);
    }

    [Fact]
    public void GradientShap_LinearZeroReferenceNoNoise_IsWeightTimesInput()
    {
        using var g = new Generator(3);
        var shap = new GradientShap(g, new GradientShapOptions([Baseline.Zeros], Samples: 7));
        AssertClose(WT * _x, shap.Attribute(_model, _x, _t), 1e-6, 1e-5);
    }

    [Fact]
    public void Occlusion_LinearSingleElementWindow_IsWeightTimesInput()
    {
        var occlusion = new Occlusion(new OcclusionOptions([1, 1, 1], [1, 1, 1]));
        AssertClose(WT * _x, occlusion.Attribute(_model, _x, _t), 1e-5, 1e-4);
    }

    [Fact]
    public void Occlusion_LinearOverlappingWindows_AveragesOverCoveringWindows()
    {
        // Given: window (1,2,2), stride (1,1,1) on 2×3×3: 2·2·2 positions; each covers 4 elements
        var occlusion = new Occlusion(new OcclusionOptions([1, 2, 2], [1, 1, 1]));
        var contrib = Values(WT * _x);
        var expected = new float[contrib.Length];
        var counts = new int[18];
        var sums = new double[4 * 18];
        for (var c = 0; c < 2; c++)
        {
            for (var h0 = 0; h0 < 2; h0++)
            {
                for (var w0 = 0; w0 < 2; w0++)
                {
                    for (var n = 0; n < 4; n++)
                    {
                        double drop = 0;
                        for (var h = h0; h < h0 + 2; h++)
                        {
                            for (var w = w0; w < w0 + 2; w++)
                            {
                                drop += contrib[(n * 18) + (c * 9) + (h * 3) + w];
                            }
                        }

                        for (var h = h0; h < h0 + 2; h++)
                        {
                            for (var w = w0; w < w0 + 2; w++)
                            {
                                sums[(n * 18) + (c * 9) + (h * 3) + w] += drop;
                            }
                        }
                    }

                    for (var h = h0; h < h0 + 2; h++)
                    {
                        for (var w = w0; w < w0 + 2; w++)
                        {
                            counts[(c * 9) + (h * 3) + w]++;
                        }
                    }
                }
            }
        }

        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] = (float)(sums[i] / counts[i % 18]);
        }

        // When
        var actual = occlusion.Attribute(_model, _x, _t);

        // Then: corners are covered once, edges twice, the centre four times
        Assert.Equal(1, counts[0]);
        Assert.Equal(4, counts[4]);
        AssertClose(torch.tensor(expected).view(4, 2, 3, 3), actual, 1e-5, 1e-4);
    }

    [Fact]
    public void Occlusion_WindowNotDividingInput_CropsLastWindowLikeCaptum()
    {
        // 3 columns, window 2, stride 2: ceil(1/2)+1 = 2 positions, the second cropped to one column.
        var occlusion = new Occlusion(new OcclusionOptions([1, 1, 2], [1, 1, 2]));
        var contrib = WT * _x;
        var actual = Values(occlusion.Attribute(_model, _x, _t));
        var c = Values(contrib);
        for (var row = 0; row < 4 * 2 * 3; row++)
        {
            var pair = c[(row * 3) + 0] + c[(row * 3) + 1];
            Assert.Equal(pair, actual[(row * 3) + 0], 1e-4);
            Assert.Equal(pair, actual[(row * 3) + 1], 1e-4);
            Assert.Equal(c[(row * 3) + 2], actual[(row * 3) + 2], 1e-4);
        }
    }

    [Fact]
    public void GradCam_LinearOnInputLayer_IsChannelMeanWeightedInput()
    {
        var expected = (WT.mean([2, 3], keepdim: true) * _x).sum(1, keepdim: true);
        AssertClose(expected, new GradCam(new GradCamOptions("input")).Attribute(_model, _x, _t), 1e-6, 1e-5);
    }
}
