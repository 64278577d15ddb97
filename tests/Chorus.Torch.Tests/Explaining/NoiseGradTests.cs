using Chorus.Torch.Explaining;
using Chorus.Torch.Tests.TestModels;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Explaining;

public class NoiseGradTests
{
    [Fact]
    public void Perturb_MultipliesEveryWeightByItsOwnNoise_AndRestoresTheWeightsBitForBit()
    {
        // Given: a model and a copy of its weights
        using var model = new TinyCnn();
        var before = Weights(model);

        // When: sampled twice in a row, each time restored
        float[][] first, second;
        using (NoiseGrad.Perturb(model, NoiseGrad.DefaultSigma, seed: 1))
        {
            first = Weights(model);
        }

        var restored = Weights(model);
        using (NoiseGrad.Perturb(model, NoiseGrad.DefaultSigma, seed: 2))
        {
            second = Weights(model);
        }

        // Then: the weights come back exactly; each sample is θ ⊙ η of its own seed, never θ ⊙ η₁ ⊙ η₂
        Assert.Equal(before, restored);
        Assert.Equal(before, Weights(model));
        using var fresh = new TinyCnn();
        NoiseGrad.Apply(fresh, NoiseGrad.DefaultSigma, seed: 2);
        Assert.Equal(Weights(fresh), second);
        Assert.NotEqual(first, second);

        // And: the noise is multiplicative with σ = 0.2 (η = w'/w over every weight: mean 1, std 0.2)
        var ratios = before.Zip(first).SelectMany(p => p.First.Zip(p.Second, (w, v) => (double)v / w)).Where(double.IsFinite).ToList();
        Assert.InRange(ratios.Average(), 0.95, 1.05);
        var sd = Math.Sqrt(ratios.Average(r => (r - ratios.Average()) * (r - ratios.Average())));
        Assert.InRange(sd, 0.17, 0.23);
    }

    [Fact]
    public void Perturb_WithSigmaZero_ChangesNothing()
    {
        using var model = new TinyCnn();
        var before = Weights(model);

        using (NoiseGrad.Perturb(model, 0, seed: 3))
        {
            Assert.Equal(before, Weights(model));
        }
    }

    private static float[][] Weights(TinyCnn model) => [.. model.parameters().Select(p => p.detach().cpu().data<float>().ToArray())];
}
