using Chorus.Explanations;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Faithfulness;

/// <summary>The deletion and insertion curves of one image, and their areas.</summary>
/// <param name="Fractions">x axis: fraction of pixels changed after each step, from 0 to 1 (step 0 = no pixel changed).</param>
/// <param name="Deletion">Target score after each deletion step; [0] is the image, the last point is the full deletion baseline.</param>
/// <param name="Insertion">Target score after each insertion step; [0] is the insertion baseline, the last point is the image.</param>
/// <param name="DeletionAuc">Trapezoid area under <paramref name="Deletion"/> over <paramref name="Fractions"/> (lower is better).</param>
/// <param name="InsertionAuc">Trapezoid area under <paramref name="Insertion"/> over <paramref name="Fractions"/> (higher is better).</param>
public sealed record FaithfulnessCurves(
    IReadOnlyList<double> Fractions,
    IReadOnlyList<double> Deletion,
    IReadOnlyList<double> Insertion,
    double DeletionAuc,
    double InsertionAuc);

/// <summary>
/// Deletion and insertion curves (Petsiuk et al., RISE, https://arxiv.org/abs/1806.07421). Pixels are ranked by the map,
/// most relevant first (ties: lower row-major index first). Each step changes the next PixelsPerStep pixels in all
/// channels. Deletion starts from the image and replaces ranked pixels with the deletion baseline; insertion starts from
/// the insertion baseline and puts back the image's ranked pixels. Every perturbed image of every step, of both curves
/// and of all images is scored in chunks of <see cref="FaithfulnessOptions.BatchSize"/> under <c>no_grad</c>, one
/// dispose scope per chunk.
/// </summary>
/// <remarks>
/// The model must be in eval mode (<c>model.Module.eval()</c>): that is the caller's job, as for attribution. In train mode
/// BatchNorm/Dropout make a score depend on the other images of its chunk, and so on <see cref="FaithfulnessOptions.BatchSize"/>.
/// </remarks>
public static class DeletionInsertion
{
    /// <summary>Computes both curves for every image.</summary>
    /// <param name="model">The classifier, in eval mode.</param>
    /// <param name="input">Images [N,C,H,W], floating point, finite. Not modified, not disposed.</param>
    /// <param name="target">Classes [N], int64, in [0, K).</param>
    /// <param name="maps">One H×W relevance map per image, finite.</param>
    /// <param name="options">Options; null = <see cref="FaithfulnessOptions.Default"/>.</param>
    /// <returns>One <see cref="FaithfulnessCurves"/> per image, in input order. No tensor is returned.</returns>
    /// <exception cref="ArgumentException">A bad argument; the exception names it.</exception>
    public static IReadOnlyList<FaithfulnessCurves> Compute(
        IClassifier model, Tensor input, Tensor target, IReadOnlyList<SaliencyMap> maps, FaithfulnessOptions? options = null)
    {
        options ??= FaithfulnessOptions.Default;
        options.Validate();
        AttributionGuard.CheckInputs(model, input, target);
        Numerics.NumericsGuard.Ensure();   // forward passes only, but on kernels the probes have checked
        var n = (int)input.shape[0];
        var h = (int)input.shape[2];
        var w = (int)input.shape[3];
        var ranks = Ranks(maps, n, h, w);
        var pixels = h * w;
        var step = options.StepSize(pixels);
        var steps = (pixels + step - 1) / step;
        var counts = Enumerable.Range(0, steps + 1).Select(k => Math.Min(k * step, pixels)).ToArray();
        var fractions = counts.Select(c => c / (double)pixels).ToArray();

        // Jobs: image i, curve (0 deletion, 1 insertion), step k → flat index (i * 2 + curve) * (steps + 1) + k.
        var perImage = steps + 1;
        var jobs = n * 2 * perImage;
        var scores = new double[jobs];
        using (var outer = NewDisposeScope())
        using (torch.no_grad())
        {
            var x = input.detach();
            var deletionBase = Materialize(options.DeletionBaselineOrDefault, x);
            var insertionBase = Materialize(options.InsertionBaselineOrDefault, x);
            var rank = torch.tensor(ranks, [n, 1, h, w], dtype: ScalarType.Int32, device: input.device);
            var targets = target.to(input.device);
            for (var start = 0; start < jobs; start += options.BatchSize)
            {
                using var chunk = NewDisposeScope();
                var size = Math.Min(options.BatchSize, jobs - start);
                var image = new long[size];
                var count = new int[size];
                var deletion = new bool[size];
                for (var j = 0; j < size; j++)
                {
                    var job = start + j;
                    image[j] = job / (2 * perImage);
                    deletion[j] = (job / perImage) % 2 == 0;
                    count[j] = counts[job % perImage];
                }

                var idx = torch.tensor(image, device: input.device);
                var xs = x.index_select(0, idx);
                var mask = rank.index_select(0, idx).lt(torch.tensor(count, [size, 1, 1, 1], device: input.device));
                var deleted = torch.where(mask, deletionBase.index_select(0, idx), xs);
                var inserted = torch.where(mask, xs, insertionBase.index_select(0, idx));
                var isDeletion = torch.tensor(deletion, [size, 1, 1, 1], device: input.device);
                var perturbed = torch.where(isDeletion, deleted, inserted);
                var logits = model.Forward(perturbed);
                var values = options.Score == FaithfulnessScore.Probability ? logits.softmax(1) : logits;
                var picked = values.gather(1, targets.index_select(0, idx).unsqueeze(1)).squeeze(1);
                var host = picked.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
                Array.Copy(host, 0, scores, start, size);
            }
        }

        var result = new FaithfulnessCurves[n];
        for (var i = 0; i < n; i++)
        {
            var del = scores.AsSpan(i * 2 * perImage, perImage).ToArray();
            var ins = scores.AsSpan(((i * 2) + 1) * perImage, perImage).ToArray();
            result[i] = new FaithfulnessCurves(fractions, del, ins, Auc(fractions, del), Auc(fractions, ins));
        }

        return result;
    }

    /// <summary>Trapezoid area under <paramref name="scores"/> over <paramref name="fractions"/>.</summary>
    /// <exception cref="ArgumentException">The lists differ in length or hold fewer than two points.</exception>
    public static double Auc(IReadOnlyList<double> fractions, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        ArgumentNullException.ThrowIfNull(scores);
        if (fractions.Count != scores.Count || fractions.Count < 2)
        {
            throw new ArgumentException($"Need two or more points and one score per fraction, got {fractions.Count} fractions and {scores.Count} scores.", nameof(scores));
        }

        var area = 0.0;
        for (var k = 1; k < fractions.Count; k++)
        {
            area += (fractions[k] - fractions[k - 1]) * (scores[k] + scores[k - 1]) / 2;
        }

        return area;
    }

    /// <summary>
    /// The rank of every pixel (0 = most relevant), row-major [N·H·W]; ties are broken by pixel index (stable).
    /// </summary>
    internal static int[] Ranks(IReadOnlyList<SaliencyMap> maps, int n, int h, int w)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count != n)
        {
            throw new ArgumentException($"Need one map per image: {n} images, {maps.Count} maps.", nameof(maps));
        }

        var pixels = h * w;
        var ranks = new int[n * pixels];
        var order = new int[pixels];
        for (var i = 0; i < n; i++)
        {
            var map = maps[i] ?? throw new ArgumentException($"Map {i} is null.", nameof(maps));
            if (map.Height != h || map.Width != w)
            {
                throw new ArgumentException($"Map {i} is {map.Height}×{map.Width}, the input is {h}×{w}.", nameof(maps));
            }

            var v = map.Values;
            for (var p = 0; p < pixels; p++)
            {
                if (!float.IsFinite(v[p]))
                {
                    throw new ArgumentException($"Map {i} holds NaN or Inf at pixel {p}.", nameof(maps));
                }

                order[p] = p;
            }

            Array.Sort(order, (a, b) => v[a] != v[b] ? v[b].CompareTo(v[a]) : a.CompareTo(b));
            for (var r = 0; r < pixels; r++)
            {
                ranks[(i * pixels) + order[r]] = r;
            }
        }

        return ranks;
    }

    private static Tensor Materialize(FaithfulnessBaseline baseline, Tensor x) => baseline.Kind switch
    {
        FaithfulnessBaselineKind.Constant => torch.full_like(x, baseline.Value),
        FaithfulnessBaselineKind.Mean => x.mean([2, 3], keepdim: true).expand_as(x),
        FaithfulnessBaselineKind.Blur => Baseline.Blurred(baseline.KernelSize).Materialize(x, "options"),
        _ => torch.zeros_like(x),
    };
}
