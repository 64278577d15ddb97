using Chorus.Torch.Attribution;
using Chorus.Torch.Tests.TestModels;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class GradCamTests
{
    private static readonly float[,] V = { { 1f, -2f }, { 0.5f, 3f } };

    // Two 1×3×4 images (h·w = 12) with mixed signs.
    private static readonly float[] X =
    [
        1f, -2f, 0.5f, 3f, -1f, 0f, 2f, -0.5f, 1.5f, -3f, 0.25f, 1f,
        -1f, 2f, -0.5f, 0.75f, 1f, -2.5f, 0f, 0.5f, -1.5f, 2f, 1f, -0.25f,
    ];

    private static readonly long[] T = [0, 1];

    [Fact]
    public void GradCam_ReluLayerOfTwoFilterModel_MatchesHandComputation()
    {
        // ∂f_t/∂R_k = V[t,k]/12 everywhere → cam = Σ_k V[t,k]/12 · R_k
        using var model = new TwoFilterCamModel(V);
        using var x = torch.tensor(X).view(2, 1, 3, 4);
        using var t = Targets(T);
        var expected = new float[24];
        for (var n = 0; n < 2; n++)
        {
            for (var i = 0; i < 12; i++)
            {
                var v = X[(n * 12) + i];
                expected[(n * 12) + i] = (float)((V[T[n], 0] / 12.0 * Math.Max(v, 0)) + (V[T[n], 1] / 12.0 * Math.Max(-v, 0)));
            }
        }

        using var cam = new GradCam(new GradCamOptions("relu")).Attribute(model, x, t);
        using var e = torch.tensor(expected).view(2, 1, 3, 4);
        AssertClose(e, cam, 1e-7, 1e-5);
        Assert.Contains(Values(cam), v => v < 0); // raw map: no ReLU by default (Captum)
    }

    [Fact]
    public void GradCam_PreReluLayer_WeightsCountActiveUnits()
    {
        // A = [x, −x]; ∂f/∂A_k = V[t,k]/12 · [A_k > 0] → w_k = V[t,k]/12 · (#A_k>0)/12
        using var model = new TwoFilterCamModel(V);
        using var x = torch.tensor(X).view(2, 1, 3, 4);
        using var t = Targets(T);
        var expected = new float[24];
        for (var n = 0; n < 2; n++)
        {
            var img = X.AsSpan(n * 12, 12).ToArray();
            var w0 = V[T[n], 0] / 12.0 * img.Count(v => v > 0) / 12.0;
            var w1 = V[T[n], 1] / 12.0 * img.Count(v => v < 0) / 12.0;
            for (var i = 0; i < 12; i++)
            {
                expected[(n * 12) + i] = (float)((w0 * img[i]) - (w1 * img[i]));
            }
        }

        using var cam = new GradCam(new GradCamOptions("conv", Relu: true)).Attribute(model, x, t);
        using var e = torch.tensor(expected).view(2, 1, 3, 4).relu();
        AssertClose(e, cam, 1e-7, 1e-5);
    }

    [Fact]
    public void GradCamPlusPlus_TwoFilterModel_MatchesPytorchGradCamFormula()
    {
        using var model = new TwoFilterCamModel(V);
        using var x = torch.tensor(X).view(2, 1, 3, 4);
        using var t = Targets(T);
        var expected = new float[24];
        for (var n = 0; n < 2; n++)
        {
            var img = X.AsSpan(n * 12, 12).ToArray();
            var r = new[] { img.Select(v => (double)Math.Max(v, 0)).ToArray(), img.Select(v => (double)Math.Max(-v, 0)).ToArray() };
            var w = new double[2];
            for (var k = 0; k < 2; k++)
            {
                var g = V[T[n], k] / 12.0;
                var sumA = r[k].Sum();
                var aij = g * g / ((2 * g * g) + (sumA * g * g * g) + 1e-6);
                w[k] = 12 * Math.Max(g, 0) * aij;
            }

            for (var i = 0; i < 12; i++)
            {
                expected[(n * 12) + i] = (float)Math.Max(0, (w[0] * r[0][i]) + (w[1] * r[1][i]));
            }
        }

        using var cam = new GradCamPlusPlus(new GradCamPlusPlusOptions("relu")).Attribute(model, x, t);
        using var e = torch.tensor(expected).view(2, 1, 3, 4);
        AssertClose(e, cam, 1e-7, 1e-4);
    }

    [Fact]
    public void Interpolate_Bilinear2x2To4x4_MatchesAlignCornersFalse()
    {
        using var map = torch.tensor(new float[] { 1, 2, 3, 4 }).view(1, 1, 2, 2);
        using var up = CamMaps.Interpolate(map, 4, 4, CamUpsample.Bilinear);
        Assert.Equal(
            new float[] { 1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4 },
            Values(up));
    }

    [Fact]
    public void Interpolate_NonIntegerScale_MatchesPyTorch()
    {
        // 2 → 3: bilinear source x = (d + 0.5)·2/3 − 0.5 clamped → [1, 1.5, 2]; nearest floor(d·2/3) → [1, 1, 2]
        using var map = torch.tensor(new float[] { 1, 2 }).view(1, 1, 1, 2);
        using var bilinear = CamMaps.Interpolate(map, 1, 3, CamUpsample.Bilinear);
        using var nearest = CamMaps.Interpolate(map, 1, 3, CamUpsample.Nearest);
        Assert.Equal(new float[] { 1, 1.5f, 2 }, Values(bilinear));
        Assert.Equal(new float[] { 1, 1, 2 }, Values(nearest));
    }

    [Theory]
    [InlineData(CamUpsample.Nearest)]
    [InlineData(CamUpsample.Bilinear)]
    public void GradCam_ReluAndUpsample_EqualsInterpolatedReluOfLayerMap(CamUpsample mode)
    {
        using var model = Cnn();
        using var x = Randn(41, 2, 3, 8, 8);
        using var t = Targets(0, 2);
        using var raw = new GradCam(new GradCamOptions("conv1")).Attribute(model, x, t);
        using var up = new GradCam(new GradCamOptions("conv1", true, mode)).Attribute(model, x, t);
        using var relu = raw.relu();
        using var expected = CamMaps.Interpolate(relu, 8, 8, mode);
        Assert.Equal([2L, 1, 8, 8], up.shape);
        AssertIdentical(expected, up);
    }

    [Fact]
    public void GradCam_DefaultLayer_IsModelsDefaultCamLayer()
    {
        using var model = Cnn();
        using var x = Randn(42, 2, 3, 8, 8);
        using var t = Targets(3, 1);
        using var a = new GradCam().Attribute(model, x, t);
        using var b = new GradCam(new GradCamOptions(model.DefaultCamLayer)).Attribute(model, x, t);
        AssertIdentical(a, b);
    }
}
