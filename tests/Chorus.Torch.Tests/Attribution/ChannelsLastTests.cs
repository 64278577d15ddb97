using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

[Collection("Sequential")]
public class ChannelsLastTests
{
    private static readonly AttributionSettings Small = new()
    {
        IntegratedGradients = new IntegratedGradientsOptions(Steps: 8, InternalBatchSize: 4),
        GradientShap = new GradientShapOptions(Samples: 3),
        GradCam = new GradCamOptions(Upsample: CamUpsample.Bilinear),
        Occlusion = new OcclusionOptions([3, 16, 16], [3, 16, 16], null, 4),
    };

    private static SmallCnn Model() => SmallCnnWithStatistics(5, 4);

    [Fact]
    public void Borrow_ConvertsConvWeights_AndDisposeGivesThemBackBitForBit()
    {
        using var model = Model();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        using (var nhwc = new ChannelsLastClassifier(model))
        {
            var convWeights = model.parameters().Where(p => p.dim() == 4).ToList();
            Assert.NotEmpty(convWeights);
            Assert.Equal(convWeights.Count, nhwc.ConvertedTensors);
            Assert.All(convWeights, w => Assert.True(ChannelsLastClassifier.IsChannelsLast(w)));
        }

        foreach (var (name, t) in model.state_dict())
        {
            Assert.True(t.is_contiguous(), $"{name} is not contiguous after dispose");
            Assert.False(before[name].not_equal(t).any().item<bool>(), $"{name} changed");
        }
    }

    [Theory]
    [InlineData("saliency")]
    [InlineData("input-x-gradient")]
    [InlineData("integrated-gradients")]
    [InlineData("gradient-shap")]
    [InlineData("grad-cam")]
    [InlineData("occlusion")]
    public void Method_ChannelsLast_EqualsNchw_AndReturnsContiguousMaps(string name)
    {
        // Given a 112-px batch and the same seeded method in both layouts
        using var model = Model();
        torch.manual_seed(1);
        using var x = torch.rand(3, 3, 112, 112);
        using var t = torch.tensor(new long[] { 0, 2, 3 });
        Tensor Run(MemoryLayout layout)
        {
            using var gen = new Generator(7);
            return new LayoutAttribution(AttributionMethodFactory.Create(name, Small, gen), layout).Attribute(model, x, t);
        }

        // When
        using var nchw = Run(MemoryLayout.Contiguous);
        using var nhwc = Run(MemoryLayout.ChannelsLast);

        // Then the maps agree to float rounding, are plain row-major, and the model is contiguous again
        AssertClose(nchw, nhwc, 1e-5, 1e-4);
        Assert.True(nhwc.is_contiguous());
        Assert.All(model.parameters(), p => Assert.True(p.is_contiguous()));
    }

    [Fact]
    public void FusedPass_OnBorrowedModel_EqualsNchw()
    {
        using var model = Model();
        torch.manual_seed(2);
        using var x = torch.rand(2, 3, 128, 96);
        using var t = torch.tensor(new long[] { 1, 3 });
        var options = new FusedPassOptions(true, new GradCamOptions(Upsample: CamUpsample.Bilinear));
        using var plain = FusedGradientPass.Compute(model, x, t, options);
        using var nhwc = new ChannelsLastClassifier(model);
        using var fused = FusedGradientPass.Compute(nhwc, x, t, options);
        AssertClose(plain.Saliency, fused.Saliency, 1e-6, 1e-4);
        AssertClose(plain.InputXGradient, fused.InputXGradient, 1e-6, 1e-4);
        AssertClose(plain.GradCam, fused.GradCam, 1e-6, 1e-4);
        Assert.True(fused.Saliency.is_contiguous() && fused.GradCam.is_contiguous());
    }

    [Fact]
    public void Borrow_OnlyForChannelsLast_AndNeverWrapsTwice()
    {
        using var model = Model();
        using var images = torch.rand(1, 3, 32, 32);
        Assert.Null(MemoryLayout.Contiguous.Borrow(model, images));
        using var once = MemoryLayout.ChannelsLast.Borrow(model, images);
        Assert.NotNull(once);
        Assert.Null(MemoryLayout.ChannelsLast.Borrow(once!, images));
        Assert.Equal(MemoryLayout.ChannelsLast, new AttributionSettings().Layout);
    }

    [Theory]
    [InlineData("NCHW", MemoryLayout.Contiguous)]
    [InlineData("channels-last", MemoryLayout.ChannelsLast)]
    [InlineData(" nhwc ", MemoryLayout.ChannelsLast)]
    public void Parse_KnownNames(string text, MemoryLayout expected)
    {
        Assert.Equal(expected, MemoryLayoutNames.Parse(text));
        Assert.Equal(expected, MemoryLayoutNames.Parse(expected.ToCliName()));
    }

    [Fact]
    public void Parse_Unknown_ListsTheNames()
    {
        var e = Assert.Throws<ArgumentException>(() => MemoryLayoutNames.Parse("nhcw"));
        Assert.Contains("channels-last, nchw", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bf16AndChannelsLast_Together_RunAndRestoreTheModel()
    {
        // Given a model lowered to bf16 and then borrowed channels-last (what EnsembleExplainer does for both options)
        using var model = Model();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        torch.manual_seed(3);
        using var x = torch.rand(2, 3, 112, 112);
        using var t = torch.tensor(new long[] { 0, 1 });
        using var fp32 = new Saliency().Attribute(model, x, t);
        Tensor map;
        using (var lowered = new BFloat16Classifier(model))
        using (var nhwc = new ChannelsLastClassifier(lowered))
        {
            // When the bf16 factory method runs on it (it must not convert the model a second time)
            var method = AttributionMethodFactory.Create("saliency", new AttributionSettings { Precision = Precision.BFloat16 });
            map = method.Attribute(nhwc, x, t);
        }

        // Then the map is float32, close to fp32, and the model is back bit for bit
        Assert.Equal(ScalarType.Float32, map.dtype);
        var r = TestStats.Pearson(Values(fp32), Values(map));
        Assert.True(r > 0.9, $"r = {r}");
        foreach (var (name, tensor) in model.state_dict())
        {
            Assert.True(tensor.is_contiguous() && !before[name].not_equal(tensor).any().item<bool>(), name);
        }
    }
}
