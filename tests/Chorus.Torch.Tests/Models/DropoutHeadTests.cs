using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Models;

// Seeds libtorch's global generator (and dropout draws from it): runs alone so no parallel test draws from it in between.
[Collection("Sequential")]
public class DropoutHeadTests
{
    [Fact]
    public void SmallCnnWithDropout_EvalIsDeterministic_TrainDrops()
    {
        // Given: a SmallCnn with dropout 0.5 before its head
        torch.manual_seed(3);
        using var model = new SmallCnn(4, widths: [4, 8, 8, 16], dropout: 0.5);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(3, 3, 32, 32);

        // When: eval mode twice, train mode twice
        model.eval();
        var a = model.Forward(x);
        var b = model.Forward(x);
        model.Forward(x, "pooled", out var pooled);
        model.train();
        var c = model.Forward(x);
        var d = model.Forward(x);

        // Then: eval is the plain model (head on the pooled features, bit for bit); train drops features, differently each
        // pass (BatchNorm alone, on batch statistics, would give two equal train passes)
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        Assert.True(a.allclose(model.Head.call(pooled), rtol: 0, atol: 0));
        Assert.False(c.allclose(d, rtol: 1e-4, atol: 1e-5));
        Assert.Equal(0.5, model.Dropout);
    }

    [Fact]
    public void SmallCnnWithoutDropout_TrainAndEvalHeadsAgree_DropoutHasNoParameters()
    {
        // Given: the same widths with and without dropout
        using var plain = new SmallCnn(4, widths: [4, 8, 8, 16]);
        using var dropping = new SmallCnn(4, widths: [4, 8, 8, 16], dropout: 0.3);

        // When
        var plainKeys = plain.state_dict().Keys.ToList();
        var droppingKeys = dropping.state_dict().Keys.ToList();

        // Then: the same checkpoint names and parameter count (old checkpoints load into either)
        Assert.Equal(plainKeys, droppingKeys);
        Assert.Contains("head.weight", droppingKeys);
        Assert.Equal(plain.parameters().Count(), dropping.parameters().Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmallCnn(4, dropout: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmallCnn(4, dropout: -0.1));
    }

    [Fact]
    public void SmallCnnWithoutDropout_TrainMode_DrawsNoRandomNumbers()
    {
        // Given: the global generator at a known state
        using var model = new SmallCnn(4, widths: [4, 8, 8, 16]);
        model.train();
        using var scope = NewDisposeScope();
        var x = rand(2, 3, 32, 32);

        // When: a train-mode pass between seeding and drawing
        torch.manual_seed(9);
        model.Forward(x);
        var after = rand(4);
        torch.manual_seed(9);
        var fresh = rand(4);

        // Then: the pass took nothing from the generator, so trainings without --dropout are what they were
        Assert.True(after.allclose(fresh, rtol: 0, atol: 0));
    }

    [Fact]
    public void BackboneSpec_Dropout_DescribedOnlyWhenOn_AndBuiltIntoTheModel()
    {
        // Given / When / Then: no dropout leaves the description (training fingerprints) as it was
        Assert.Equal("small-cnn", new BackboneSpec().Describe());
        Assert.Equal("small-cnn", new BackboneSpec(Dropout: 0).Describe());
        Assert.Equal("small-cnn[dropout=0.2]", new BackboneSpec(Dropout: 0.2).Describe());
        Assert.Equal("resnet18[stages=1;features=-;weights=-;pre=default]", new BackboneSpec("resnet18", TrainStages: 1).Describe());
        Assert.Equal("resnet18[stages=1;features=-;weights=-;pre=default;dropout=0.5]", new BackboneSpec("resnet18", TrainStages: 1, Dropout: 0.5).Describe());
        Assert.Throws<ArgumentException>(() => new BackboneSpec(Dropout: 1).Validate());

        using var model = new BackboneSpec(Dropout: 0.25).Create(3);
        Assert.Equal(0.25, Assert.IsType<SmallCnn>(model).Dropout);
        using var resnet = new BackboneSpec("resnet18", Dropout: 0.4).Create(3);
        Assert.Equal(0.4, Assert.IsType<BackboneClassifier>(resnet).Dropout);
    }

    [Fact]
    public void BackboneSpec_RoundTripsThroughJson_WithItsDropout()
    {
        // Given: the manifest records the spec as JSON; older manifests have no Dropout
        var spec = new BackboneSpec(Dropout: 0.2);

        // When
        var back = System.Text.Json.JsonSerializer.Deserialize<BackboneSpec>(System.Text.Json.JsonSerializer.Serialize(spec));
        var old = System.Text.Json.JsonSerializer.Deserialize<BackboneSpec>("""{"Name":"small-cnn","FeaturesTensor":null,"TrainStages":null,"Weights":null,"Preprocessing":null}""");

        // Then
        Assert.Equal(spec, back);
        Assert.Equal(0, old!.Dropout);
    }

    [Fact]
    public void BackboneClassifierWithDropout_EvalIsDeterministic_TrainDrops()
    {
        // Given
        torch.manual_seed(4);
        using var model = new BackboneSpec("resnet18", TrainStages: 0, Dropout: 0.5).Create(3);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(2, 3, 32, 32);

        // When
        model.Module.eval();
        var a = model.Forward(x);
        var b = model.Forward(x);
        model.Module.train();
        var c = model.Forward(x);

        // Then
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        Assert.False(c.allclose(a, rtol: 1e-4, atol: 1e-5));
    }
}
