using Chorus.Torch.Attribution;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class BatchingTests
{
    public static TheoryData<string> DeterministicMethods => new()
    {
        "saliency", "input-x-gradient", "integrated-gradients", "grad-cam", "grad-cam-plus-plus", "occlusion",
    };

    public static TheoryData<string> AllMethods => new()
    {
        "saliency", "input-x-gradient", "integrated-gradients", "gradient-shap", "grad-cam", "grad-cam-plus-plus",
        "occlusion", "smoothgrad", "smoothgrad:integrated-gradients",
    };

    [Theory]
    [MemberData(nameof(DeterministicMethods))]
    public void Attribute_FourImagesAtOnce_EqualsOneByOne(string name)
    {
        // Given
        using var model = Cnn();
        using var x = Randn(51, 4, 3, 8, 8);
        using var t = Targets(0, 3, 1, 2);
        var method = Create(name);

        // When
        using var batched = method.Attribute(model, x, t);
        using var scope = NewDisposeScope();
        var single = torch.cat(Enumerable.Range(0, 4).Select(i => method.Attribute(model, x.narrow(0, i, 1), t.narrow(0, i, 1))).ToList(), 0);

        // Then
        AssertClose(single, batched, 1e-6, 1e-4);
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Attribute_SameSeed_SameResultAndExpectedShape(string name)
    {
        using var model = Cnn();
        using var x = Randn(52, 2, 3, 8, 8);
        using var t = Targets(1, 2);
        using var g1 = new Generator(77);
        using var g2 = new Generator(77);
        using var a = Create(name, g1).Attribute(model, x, t);
        using var b = Create(name, g2).Attribute(model, x, t);
        AssertIdentical(a, b);
        var channels = name.StartsWith("grad-cam", StringComparison.Ordinal) ? 1 : 3;
        Assert.Equal([2L, channels, 8, 8], a.shape);
        Assert.All(Values(a), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Occlusion_PerturbationsPerEval_Identical()
    {
        using var model = Cnn();
        using var x = Randn(53, 3, 3, 8, 8);
        using var t = Targets(0, 1, 2);
        using var one = new Occlusion(new OcclusionOptions([2, 3, 3], [1, 2, 2])).Attribute(model, x, t);
        using var seven = new Occlusion(new OcclusionOptions([2, 3, 3], [1, 2, 2], PerturbationsPerEval: 7)).Attribute(model, x, t);
        AssertClose(one, seven, 1e-6, 1e-5);
    }
}
