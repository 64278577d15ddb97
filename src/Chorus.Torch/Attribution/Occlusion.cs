using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Options of <see cref="Occlusion"/> (Captum <c>Occlusion.attribute</c>).</summary>
/// <param name="Window">
/// Sliding window over the non-batch dimensions: (C, H, W), or (H, W) meaning all channels at once
/// (Captum <c>sliding_window_shapes</c>, which has no default). Default: (8, 8).
/// </param>
/// <param name="Strides">Strides, same length as <paramref name="Window"/>; null: 1 everywhere (Captum's default). Default: (4, 4).</param>
/// <param name="Baseline">Value written into the window. Default: zeros.</param>
/// <param name="PerturbationsPerEval">Windows evaluated per forward pass (Captum <c>perturbations_per_eval</c>). Default: 1. The result does not depend on it.</param>
public sealed record OcclusionOptions(
    IReadOnlyList<int>? Window = null,
    IReadOnlyList<int>? Strides = null,
    Baseline? Baseline = null,
    int PerturbationsPerEval = 1)
{
    /// <summary>The window used when none is given: 8×8 over all channels, stride 4.</summary>
    public static OcclusionOptions Default { get; } = new([8, 8], [4, 4]);

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        var window = Window ?? Default.Window!;
        if (window.Count is not (2 or 3) || window.Any(w => w < 1))
        {
            throw new ArgumentException("The window needs 2 (H,W) or 3 (C,H,W) positive sizes.", nameof(Window));
        }

        if (Strides is { } s && (s.Count != window.Count || s.Any(v => v < 1)))
        {
            throw new ArgumentException("Strides need one positive value per window dimension.", nameof(Strides));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(PerturbationsPerEval, 1, nameof(PerturbationsPerEval));
    }
}

/// <summary>
/// Occlusion (Zeiler and Fergus, https://arxiv.org/abs/1311.2901), as Captum's <c>Occlusion</c>: a window slides over
/// (C, H, W) with the given strides, ceil((D − w)/s) + 1 positions per dimension (the last one cropped at the border);
/// each position replaces the window by the baseline, and every element covered gets f(x)_t − f(occluded)_t; the sum
/// is divided by the number of windows covering the element. Returns [N,C,H,W].
/// </summary>
public sealed class Occlusion : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "occlusion";

    /// <summary>Creates the method.</summary>
    /// <param name="options">Options; default <see cref="OcclusionOptions.Default"/>.</param>
    public Occlusion(OcclusionOptions? options = null)
    {
        Options = options ?? OcclusionOptions.Default;
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public OcclusionOptions Options { get; }

    /// <inheritdoc/>
    public string Name => CliName;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target)
    {
        AttributionGuard.CheckInputs(model, input, target);
        var dims = new[] { input.shape[1], input.shape[2], input.shape[3] };
        var (window, strides) = Resolve(dims);
        for (var d = 0; d < 3; d++)
        {
            if (window[d] > dims[d])
            {
                throw new ArgumentException($"Window [{string.Join(",", window)}] exceeds input dimensions [{string.Join(",", dims)}].", "options");
            }

            if (window[d] < dims[d] && strides[d] > window[d])
            {
                throw new ArgumentException($"Stride {strides[d]} cannot exceed the window size {window[d]}.", "options");
            }
        }

        var shifts = new long[3];
        for (var d = 0; d < 3; d++)
        {
            shifts[d] = (long)Math.Ceiling((dims[d] - window[d]) / (double)strides[d]) + 1;
        }

        var features = shifts[0] * shifts[1] * shifts[2];
        using var scope = NewDisposeScope();
        var x = input.detach();
        var n = x.shape[0];
        var baseline = (Options.Baseline ?? Baseline.Zeros).Materialize(x, "baseline");
        var total = torch.zeros_like(x);
        var counts = torch.zeros([1, dims[0], dims[1], dims[2]], dtype: x.dtype, device: x.device);
        using var noGrad = torch.no_grad();
        var initial = Gradients.TargetLogits(model, x, target);
        var per = Options.PerturbationsPerEval;
        for (long start = 0; start < features; start += per)
        {
            using var chunk = NewDisposeScope();
            var count = (int)Math.Min(per, features - start);
            var ablated = new List<Tensor>(count);
            var regions = new List<(long[] Start, long[] Length)>(count);
            for (var j = 0; j < count; j++)
            {
                // Captum's _occlusion_mask: feature number → shift per dimension, first dimension fastest.
                var rest = start + j;
                var from = new long[3];
                var len = new long[3];
                for (var d = 0; d < 3; d++)
                {
                    from[d] = rest % shifts[d] * strides[d];
                    rest /= shifts[d];
                    len[d] = Math.Min(window[d], dims[d] - from[d]);
                }

                var copy = x.clone();
                Region(copy, from, len).copy_(Region(baseline, from, len));
                ablated.Add(copy);
                regions.Add((from, len));
            }

            var modified = Gradients.TargetLogits(model, torch.cat(ablated, 0), target.repeat(count));
            for (var j = 0; j < count; j++)
            {
                var diff = initial - modified.narrow(0, j * n, n);
                var (from, len) = regions[j];
                Region(total, from, len).add_(diff.view(n, 1, 1, 1));
                Region(counts, from, len).add_(1);
            }
        }

        return total.div_(counts).MoveToOuterDisposeScope();
    }

    private static Tensor Region(Tensor t, long[] from, long[] len) =>
        t.narrow(1, from[0], len[0]).narrow(2, from[1], len[1]).narrow(3, from[2], len[2]);

    private (long[] Window, long[] Strides) Resolve(long[] dims)
    {
        var w = Options.Window ?? OcclusionOptions.Default.Window!;
        var s = Options.Strides ?? (Options.Window is null ? OcclusionOptions.Default.Strides : null);
        if (w.Count == 2)
        {
            return ([dims[0], w[0], w[1]], s is null ? [dims[0], 1, 1] : [dims[0], s[0], s[1]]);
        }

        return ([w[0], w[1], w[2]], s is null ? [1, 1, 1] : [s[0], s[1], s[2]]);
    }
}
