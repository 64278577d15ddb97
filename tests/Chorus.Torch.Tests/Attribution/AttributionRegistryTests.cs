using Chorus.Torch.Attribution;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using Chorus.Torch.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

/// <summary>A method defined outside Chorus.Torch joins the study with one registration and nothing else.</summary>
[Collection("Sequential")]
public class AttributionRegistryTests
{
    private const string ToyName = "test-gradient-sign";

    static AttributionRegistryTests() =>
        AttributionRegistry.Register(new(ToyName, (_, _) => new GradientSign(), Options: s => ("test_gradient_sign", "none")));

    [Fact]
    public void RegisteredMethod_IsCreatedByName_Explained_AndGuardsItsMaps()
    {
        // Given: the toy method, registered above (its own class and one line)
        using var data = EnsembleTrainerTests.QuadrantSet(4, 16, 8);
        var dir = TestPaths.TempDir();
        new Chorus.Torch.Training.EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), new Chorus.Torch.Training.TrainingOptions(Members: 1, Epochs: 1, BatchSize: 4), "small-cnn").Train(dir, data, null);

        // When
        var method = AttributionMethodFactory.Create(ToyName);
        var maps = new EnsembleExplainer(new AttributionSettings()).Explain(dir, m => Chorus.Torch.Training.EnsembleTrainer.LoadMember(() => new SmallCnn(4, widths: [4, 8, 8, 8]), dir, m), 1, data, [ToyName]);

        // Then: named, explained like the built-in ones, its maps on disk, its options in the run's record
        Assert.Contains(ToyName, AttributionMethodFactory.Names);
        Assert.False(AttributionMethodFactory.IsStochastic(ToyName));
        Assert.IsType<GradientSign>(method);
        Assert.Equal(4, maps[ToyName][0].Length);
        Assert.True(File.Exists(EnsembleExplainer.MapsPath(dir, ToyName, 0)));
        Assert.All(maps[ToyName][0], m => Assert.All(m.Values, v => Assert.InRange(v, 0f, 3f)));   // Σ_c |sign| over 3 channels
        Assert.Contains(("test_gradient_sign", "none"), AttributionSettingsText.Describe(new AttributionSettings(), [ToyName]));
    }

    [Fact]
    public void Register_RefusesATakenNameOrAReservedOne()
    {
        Assert.Throws<ArgumentException>(() => AttributionRegistry.Register(new(Saliency.CliName, (_, _) => new GradientSign())));
        Assert.Throws<ArgumentException>(() => AttributionRegistry.Register(new("smoothgrad:x", (_, _) => new GradientSign())));
        Assert.Throws<ArgumentException>(() => AttributionRegistry.Register(new("Upper", (_, _) => new GradientSign())));
        var e = Assert.Throws<ArgumentException>(() => AttributionRegistry.Get("nope"));
        Assert.Contains("saliency", e.Message);
    }

    [Theory]
    [InlineData("saliency", false, MapSpace.Input, true)]
    [InlineData("grad-cam", false, MapSpace.Layer, true)]
    [InlineData("grad-cam-plus-plus", false, MapSpace.Layer, false)]
    [InlineData("gradient-shap", true, MapSpace.Input, false)]
    [InlineData("smoothgrad:integrated-gradients", true, MapSpace.Input, false)]
    public void BuiltInMethods_SayWhatTheyAre(string name, bool stochastic, MapSpace space, bool fused)
    {
        var info = AttributionRegistry.Get(name);

        Assert.Equal((stochastic, space, fused), (info.Stochastic, info.Space, info.FromFusedPass is not null));
    }

    // The sign of the input gradient: a method written outside Chorus.Torch.
    private sealed class GradientSign : IAttributionMethod
    {
        public string Name => ToyName;

        public Tensor Attribute(IClassifier model, Tensor input, Tensor target)
        {
            using var scope = NewDisposeScope();
            var x = input.detach().requires_grad_(true);
            var picked = model.Forward(x).gather(1, target.unsqueeze(1)).sum();
            var grad = torch.autograd.grad([picked], [x])[0];
            return grad.sign().MoveToOuterDisposeScope();
        }
    }
}
