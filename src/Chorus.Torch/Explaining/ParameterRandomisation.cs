using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Explaining;

/// <summary>
/// The model-parameter randomisation test (Adebayo et al., NeurIPS 2018): the weights of a model's layers are replaced
/// by random ones, cascading from the output down; an explanation that stays the same while the model is destroyed
/// explains the input, not the model. A layer here is a module that owns parameters (a convolution, a BatchNorm, the
/// head), in the order the model registers them; BatchNorm running statistics are buffers and stay.
/// </summary>
public static class ParameterRandomisation
{
    /// <summary>The model's layers (modules that own parameters directly), input to output.</summary>
    public static IReadOnlyList<string> Layers(IClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = new List<string>();
        foreach (var (name, _) in model.Module.named_parameters())
        {
            var layer = LayerOf(name);
            if (!layers.Contains(layer))
            {
                layers.Add(layer);
            }
        }

        return layers;
    }

    /// <summary>
    /// Replaces the parameters of the top <paramref name="top"/> layers of <see cref="Layers"/> with Gaussian noise of each
    /// tensor's own standard deviation (its mean absolute value for a single number or a constant tensor), seeded.
    /// Returns the names of the layers randomised, from the top.
    /// </summary>
    public static IReadOnlyList<string> Randomise(IClassifier model, int top, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = Layers(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, layers.Count);
        var chosen = layers.Skip(layers.Count - top).ToHashSet(StringComparer.Ordinal);
        using (no_grad())
        using (var generator = new Generator((ulong)seed))
        {
            foreach (var (name, p) in model.Module.named_parameters())
            {
                if (!chosen.Contains(LayerOf(name)))
                {
                    continue;
                }

                using var scope = NewDisposeScope();
                var std = p.numel() > 1 ? p.std().item<float>() : 0f;
                var scale = std > 0 ? std : Math.Max(p.abs().mean().item<float>(), 1e-2f);
                p.copy_(randn(p.shape, dtype: p.dtype, device: p.device, generator: generator).mul_(scale));
            }
        }

        return [.. layers.Skip(layers.Count - top).Reverse()];
    }

    /// <summary>The cascade's depths: every depth up to 10 layers, else about eight spread from 1 to all.</summary>
    public static IReadOnlyList<int> Cascade(int layers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        return layers <= 10 ? [.. Enumerable.Range(1, layers)] : [.. Enumerable.Range(0, 8).Select(i => (int)Math.Round(1 + ((layers - 1) * i / 7.0))).Distinct()];
    }

    private static string LayerOf(string parameter)
    {
        var dot = parameter.LastIndexOf('.');
        return dot < 0 ? parameter : parameter[..dot];
    }
}
