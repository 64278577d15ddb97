using Chorus.Torch.Attribution;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

[Collection("Sequential")]
public class PrecisionTests
{
    public static TheoryData<string> StudyMethods => new(EnsembleExplainer.StudyMethods);

    private static readonly AttributionSettings Small = new()
    {
        IntegratedGradients = new IntegratedGradientsOptions(Steps: 8, InternalBatchSize: 8),
        GradientShap = new GradientShapOptions(Samples: 4),
        GradCam = new GradCamOptions(Upsample: CamUpsample.Bilinear),
    };

    private static SmallCnn Model() => SmallCnnWithStatistics(11, 5);

    [Theory]
    [InlineData("fp32", Precision.Float32)]
    [InlineData("FP32", Precision.Float32)]
    [InlineData("float32", Precision.Float32)]
    [InlineData("bf16", Precision.BFloat16)]
    [InlineData(" bfloat16 ", Precision.BFloat16)]
    public void Parse_KnownName_GivesPrecision(string text, Precision expected) =>
        Assert.Equal(expected, PrecisionNames.Parse(text));

    [Theory]
    [InlineData("fp16")]
    [InlineData("")]
    [InlineData("int8")]
    public void Parse_UnknownName_ThrowsNamingTheKnownOnes(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => PrecisionNames.Parse(text));
        Assert.Contains("fp32", e.Message, StringComparison.Ordinal);
        Assert.Contains("bf16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UndefinedPrecisionValue_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionMethodFactory.Create(Saliency.CliName, new AttributionSettings { Precision = (Precision)7 }));

    [Fact]
    public void Create_DefaultSettings_IsFloat32AndGivesTheUnwrappedMethodsNumbers()
    {
        // Given
        using var model = Model();
        using var x = Randn(5, 2, 3, 16, 16);
        using var t = Targets(1, 4);

        // When
        var method = AttributionMethodFactory.Create(IntegratedGradients.CliName, Small);
        using var viaFactory = method.Attribute(model, x, t);
        using var direct = new IntegratedGradients(Small.IntegratedGradients).Attribute(model, x, t);

        // Then
        Assert.Equal(Precision.Float32, new AttributionSettings().Precision);
        Assert.IsType<IntegratedGradients>(method);
        Assert.Equal(ScalarType.Float32, viaFactory.dtype);
        AssertIdentical(direct, viaFactory);
    }

    [Theory]
    [MemberData(nameof(StudyMethods))]
    public void Bf16_StudyMethod_ReturnsFloat32MapsThatCorrelateWithFp32(string name)
    {
        // Given
        using var model = Model();
        using var x = Randn(6, 3, 3, 32, 32);
        using var t = Targets(0, 2, 4);
        using var g32 = new Generator(3);
        using var g16 = new Generator(3);

        // When
        using var scope = NewDisposeScope();
        var fp32 = AttributionMethodFactory.Create(name, Small, g32).Attribute(model, x, t);
        var method = AttributionMethodFactory.Create(name, Small with { Precision = Precision.BFloat16 }, g16);
        var bf16 = method.Attribute(model, x, t);

        // Then: same shape, float32, not identical (bf16 really ran), and the reduced maps agree (r > 0.9 per image)
        Assert.IsType<PrecisionAttribution>(method);
        Assert.Equal(name, method.Name);
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.Equal(fp32.shape, bf16.shape);
        Assert.NotEqual(Values(fp32), Values(bf16));
        var m32 = fp32.shape[1] == 1 ? fp32.sum(1) : SaliencyMaps.Reduce(fp32, MapReduction.SumAbs);
        var m16 = bf16.shape[1] == 1 ? bf16.sum(1) : SaliencyMaps.Reduce(bf16, MapReduction.SumAbs);
        for (var i = 0; i < 3; i++)
        {
            var r = TestStats.Pearson(Values(m32[i]), Values(m16[i]));
            Assert.True(r > 0.9, $"{name}, image {i}: Pearson r bf16 vs fp32 = {r:F4}");
        }
    }

    [Fact]
    public void Bf16_Attribute_LeavesTheModelBitForBitUnchanged()
    {
        // Given: a model with parameters that require grad and some that do not, and BN buffers
        using var model = Model();
        var head = model.Head.weight!;
        head.requires_grad_(false);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => (kv.Value.dtype, Values: Values(kv.Value)));
        var grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
        using var x = Randn(8, 2, 3, 16, 16);
        using var t = Targets(3, 1);
        using var g = new Generator(1);

        // When: every study method in bf16, through the factory
        foreach (var name in EnsembleExplainer.StudyMethods)
        {
            using var result = AttributionMethodFactory.Create(name, Small with { Precision = Precision.BFloat16 }, g).Attribute(model, x, t);
        }

        // Then
        var after = model.state_dict();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (key, (dtype, values)) in before)
        {
            Assert.Equal(dtype, after[key].dtype);
            Assert.Equal(values, Values(after[key]));
        }

        Assert.Equal(grads, model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad));
        Assert.False(model.training);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void BFloat16Classifier_WhileAlive_RunsTheModelInBf16_AndRestoresOnDispose()
    {
        // Given
        using var model = Model();
        using var x = Randn(9, 1, 3, 16, 16);
        using var expected = model.Forward(x).detach();

        // When
        using (var lowered = new BFloat16Classifier(model))
        {
            // Then: the module is bf16 inside, logits come back float32 and close
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
            using var logits = lowered.Forward(x);
            Assert.Equal(ScalarType.Float32, logits.dtype);
            AssertClose(expected, logits, atol: 0.1, rtol: 0.05);
            Assert.Throws<ArgumentException>(() => new BFloat16Classifier(lowered));
        }

        using var again = model.Forward(x);
        AssertIdentical(expected, again);
    }

    [Fact]
    public void PrecisionAttribution_ModelAlreadyBf16_DoesNotConvertAgain()
    {
        // Given
        using var model = Model();
        using var x = Randn(4, 2, 3, 16, 16);
        using var t = Targets(0, 1);
        using var lowered = new BFloat16Classifier(model);
        var saliency = new PrecisionAttribution(new Saliency(), Precision.BFloat16);

        // When
        using var once = saliency.Attribute(lowered, x, t);
        using var direct = new Saliency().Attribute(lowered, x, t);

        // Then: still bf16 (not restored by the inner call) and the same numbers
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        AssertIdentical(direct, once);
    }
}
