using Chorus.Torch.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Torch.Explaining;

/// <summary>
/// MC-dropout (Gal &amp; Ghahramani, ICML 2016) as a source of models: one model trained with dropout p before its head
/// becomes many by fixing one dropout mask per sample. A mask keeps each of the head's F input features with probability
/// 1 − p and scales the kept ones by 1/(1 − p), as dropout does in training. It is applied by multiplying the head
/// weight's input columns by it (W·(m ⊙ x) = (W·diag m)·x), so the model stays in eval mode, every forward pass of an
/// attribution method (all of Integrated Gradients' steps) and every image sees the same model, and nothing random
/// happens after the mask is drawn.
/// </summary>
public static class McDropout
{
    /// <summary>
    /// The mask of <paramref name="seed"/>: F values, each 1/(1 − p) with probability 1 − p (kept) and 0 otherwise, from
    /// <c>torch.rand</c> on a generator seeded with <paramref name="seed"/> (feature j kept when u_j &lt; 1 − p).
    /// </summary>
    /// <param name="features">F, the head's input features.</param>
    /// <param name="p">The dropout probability, 0 ≤ p &lt; 1.</param>
    /// <param name="seed">The mask's seed.</param>
    public static float[] Mask(int features, double p, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        if (!(p >= 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability must be in [0, 1).");
        }

        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var u = rand([features], dtype: ScalarType.Float64, generator: generator).data<double>().ToArray();
        var kept = (float)(1 / (1 - p));
        return [.. u.Select(v => v < 1 - p ? kept : 0f)];
    }

    /// <summary>
    /// Multiplies the head weight's input columns of <paramref name="model"/> by the mask of <paramref name="seed"/>, for
    /// good: for a model that is a fresh copy (loaded from a checkpoint) and is thrown away afterwards. Returns the mask.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no linear head this class knows (SmallCnn, BackboneClassifier).</exception>
    public static float[] Apply(IClassifier model, double p, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var head = HeadOf(model);
        var weight = head.weight ?? throw new ArgumentException("The head has no weight.", nameof(model));
        var mask = Mask((int)weight.shape[1], p, seed);
        using (no_grad())
        using (var m = tensor(mask, [1, mask.Length], weight.dtype, weight.device))
        {
            weight.mul_(m);
        }

        return mask;
    }

    /// <summary>The dropout probability <paramref name="model"/> was built with (0 for a model without the option).</summary>
    public static double DropoutOf(IClassifier model) => model switch
    {
        SmallCnn s => s.Dropout,
        BackboneClassifier b => b.Dropout,
        ChannelsLastClassifier c => DropoutOf(c.Inner),
        _ => 0,
    };

    /// <summary>The linear head of <paramref name="model"/> (the layer whose input dropout acts on).</summary>
    /// <exception cref="ArgumentException">A model of another kind.</exception>
    public static Linear HeadOf(IClassifier model) => model switch
    {
        SmallCnn s => s.Head,
        BackboneClassifier b => b.Head,
        ChannelsLastClassifier c => HeadOf(c.Inner),
        _ => throw new ArgumentException($"MC-dropout needs a SmallCnn or BackboneClassifier (a linear head on pooled features); got {model.GetType().Name}.", nameof(model)),
    };
}
