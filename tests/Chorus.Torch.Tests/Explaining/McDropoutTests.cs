using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Explaining;

// Seeds libtorch's global generator: runs alone so no parallel test draws from it in between.
[Collection("Sequential")]
public class McDropoutTests
{
    [Fact]
    public void Apply_MaskedModelLogits_EqualTheHeadOnMaskedPooledFeatures()
    {
        // Given: a SmallCnn trained-style with dropout 0.3, and a fresh copy of it (the same weights)
        torch.manual_seed(5);
        using var model = new SmallCnn(4, widths: [4, 8, 8, 16], dropout: 0.3);
        using var copy = new SmallCnn(4, widths: [4, 8, 8, 16], dropout: 0.3);
        copy.load_state_dict(model.state_dict());
        model.eval();
        copy.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(3, 3, 32, 32);

        // When: the copy gets mask 7
        var mask = McDropout.Apply(copy, 0.3, seed: 7);
        var masked = copy.Forward(x);

        // Then: its logits are the original head on the pooled features times the mask, by hand
        model.Forward(x, "pooled", out var pooled);
        var byHand = model.Head.call(pooled * tensor(mask).unsqueeze(0));
        Assert.Equal(16, mask.Length);
        Assert.True(masked.allclose(byHand, rtol: 1e-5, atol: 1e-6));
        Assert.False(masked.allclose(model.Forward(x), rtol: 1e-3, atol: 1e-4));

        // And: every forward pass sees the same model (eval mode, nothing random after the mask)
        Assert.True(masked.allclose(copy.Forward(x), rtol: 0, atol: 0));
    }

    [Fact]
    public void Mask_KeepsWithProbabilityOneMinusP_ScaledUp_DeterministicPerSeed_DifferentBetweenSeeds()
    {
        // When: masks over 4000 features
        var a = McDropout.Mask(4000, 0.2, seed: 11);
        var again = McDropout.Mask(4000, 0.2, seed: 11);
        var b = McDropout.Mask(4000, 0.2, seed: 12);

        // Then: values are 0 or 1/(1 − p); about 80 % kept (±3 σ of a binomial); same seed, same mask; another, another
        Assert.All(a, v => Assert.True(v == 0f || v == (float)(1 / 0.8), $"{v}"));
        var kept = a.Count(v => v > 0) / 4000.0;
        Assert.InRange(kept, 0.8 - (3 * Math.Sqrt(0.16 / 4000)), 0.8 + (3 * Math.Sqrt(0.16 / 4000)));
        Assert.Equal(a, again);
        Assert.NotEqual(a, b);
        Assert.InRange(a.Zip(b).Count(p => p.First != p.Second) / 4000.0, 0.2, 0.44);
    }

    [Fact]
    public void DropoutOf_AndHeadOf_FindTheHead_ThroughChannelsLast()
    {
        // Given
        using var model = new SmallCnn(3, widths: [4, 8, 8, 8], dropout: 0.4);
        using var borrowed = new ChannelsLastClassifier(model);

        // When / Then
        Assert.Equal(0.4, McDropout.DropoutOf(borrowed));
        Assert.Same(model.Head, McDropout.HeadOf(borrowed));
        Assert.Equal(0, McDropout.DropoutOf(new Tests.TestModels.TinyCnn()));
    }
}
