using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Argument checks shared by every method (Captum's <c>_validate_input</c>), run before any work.</summary>
internal static class AttributionGuard
{
    /// <summary>Checks model, input [N,C,H,W] (floating point, finite) and target [N] int64 in [0, K).</summary>
    public static void CheckInputs(IClassifier model, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.dim() != 4)
        {
            throw new ArgumentException($"Input must have rank 4 [N,C,H,W], got shape [{string.Join(",", input.shape)}].", nameof(input));
        }

        if (!input.is_floating_point())
        {
            throw new ArgumentException($"Input must be a floating-point tensor, got {input.dtype}.", nameof(input));
        }

        if (input.shape[0] < 1)
        {
            throw new ArgumentException("Input must hold at least one image.", nameof(input));
        }

        CheckFinite(input, nameof(input));
        CheckTarget(model, target, input.shape[0]);
    }

    /// <summary>Checks that <paramref name="target"/> is [N] int64 with every value in [0, K).</summary>
    public static void CheckTarget(IClassifier model, Tensor target, long n)
    {
        if (target.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"Target must be an int64 tensor, got {target.dtype}.", nameof(target));
        }

        if (target.dim() != 1 || target.shape[0] != n)
        {
            throw new ArgumentException($"Target must have shape [{n}] (one class per image), got [{string.Join(",", target.shape)}].", nameof(target));
        }

        using var scope = NewDisposeScope();
        var min = target.min().item<long>();
        var max = target.max().item<long>();
        if (min < 0 || max >= model.NumClasses)
        {
            throw new ArgumentOutOfRangeException(nameof(target), $"Target classes must lie in [0, {model.NumClasses}), got values in [{min}, {max}].");
        }
    }

    /// <summary>Throws if <paramref name="t"/> holds NaN or ±Inf.</summary>
    public static void CheckFinite(Tensor t, string paramName)
    {
        using var scope = NewDisposeScope();
        if (!torch.isfinite(t).all().item<bool>())
        {
            throw new ArgumentException("Tensor contains NaN or Inf values.", paramName);
        }
    }

    /// <summary>Checks that the named layer exists on the model.</summary>
    public static void CheckLayer(IClassifier model, string layer)
    {
        if (!model.LayerNames.Contains(layer))
        {
            throw new ArgumentException($"Unknown layer '{layer}'; the model has: {string.Join(", ", model.LayerNames)}.", nameof(layer));
        }
    }
}
