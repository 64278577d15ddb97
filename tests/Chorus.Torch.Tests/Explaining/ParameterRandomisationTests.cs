using Chorus.Torch.Explaining;
using Chorus.Torch.Models;

namespace Chorus.Torch.Tests.Explaining;

public class ParameterRandomisationTests
{
    [Fact]
    public void Layers_AreTheParameterOwningModules_InputToOutput()
    {
        using var model = new SmallCnn(4);

        var layers = ParameterRandomisation.Layers(model);

        Assert.Equal("head", layers[^1]);
        Assert.StartsWith("features.block1", layers[0]);
        Assert.Equal(9, layers.Count);   // four blocks of conv + BatchNorm, and the head
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], ParameterRandomisation.Cascade(layers.Count));
        Assert.Equal([1, 4, 7, 10, 12, 15, 18, 21], ParameterRandomisation.Cascade(21));
    }

    [Fact]
    public void Randomise_ReplacesTheTopLayersOnly_Seeded_AndKeepsBatchNormStatistics()
    {
        // Given: two copies of one model
        using var a = new SmallCnn(4);
        using var b = new SmallCnn(4);
        b.load_state_dict(a.state_dict());
        var before = State(a);

        // When: the top three layers of one are randomised
        var randomised = ParameterRandomisation.Randomise(a, 3, seed: 5);

        // Then: exactly the parameters of those layers changed, keeping their scale; buffers are untouched
        Assert.Equal(3, randomised.Count);
        Assert.Equal("head", randomised[0]);
        foreach (var (name, p) in a.named_parameters())
        {
            var layer = name[..name.LastIndexOf('.')];
            var changed = !Values(p).SequenceEqual(before[name]);
            Assert.True(randomised.Contains(layer) == changed, $"{name}: randomised {randomised.Contains(layer)}, changed {changed}");
        }

        foreach (var (name, buffer) in a.named_buffers())
        {
            Assert.Equal(before[name], Values(buffer));
        }

        var w = State(a)["head.weight"];
        var w0 = before["head.weight"];
        Assert.InRange(Std(w) / Std(w0), 0.6, 1.6);

        // And: the same seed gives the same weights
        ParameterRandomisation.Randomise(b, 3, seed: 5);
        Assert.Equal(State(a).Values.SelectMany(v => v), State(b).Values.SelectMany(v => v));
    }

    private static Dictionary<string, float[]> State(SmallCnn model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value.to_type(TorchSharp.torch.ScalarType.Float32).data<float>().ToArray());

    private static float[] Values(TorchSharp.torch.Tensor t) => t.to_type(TorchSharp.torch.ScalarType.Float32).data<float>().ToArray();

    private static double Std(float[] v)
    {
        var mean = v.Average(x => (double)x);
        return Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
    }
}
