using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Options of <see cref="IntegratedGradients"/>, with Captum's defaults.</summary>
/// <param name="Steps">Number of integration steps (Captum <c>n_steps</c>). Default: 50.</param>
/// <param name="Rule">Integration rule (Captum <c>method</c>). Default: Gauss–Legendre.</param>
/// <param name="Baseline">Start of the path. Default: zeros.</param>
/// <param name="InternalBatchSize">
/// Captum <c>internal_batch_size</c>: the (steps × examples) evaluations are processed in chunks of
/// max(1, InternalBatchSize / N) steps over all N examples, so a chunk holds at most max(N, InternalBatchSize)
/// images. Null: all steps in one pass. The result does not depend on it.
/// </param>
public sealed record IntegratedGradientsOptions(
    int Steps = 50,
    IntegrationRule Rule = IntegrationRule.GaussLegendre,
    Baseline? Baseline = null,
    int? InternalBatchSize = null)
{
    /// <summary>The first step count of the adaptive ladder (<see cref="Tolerance"/>). Default: 8.</summary>
    public const int DefaultStartSteps = 8;

    /// <summary>
    /// Adaptive step count. Null (default): every image gets <see cref="Steps"/> steps, as Captum does. Otherwise, per image,
    /// the steps climb the ladder <see cref="StartSteps"/>, 2·<see cref="StartSteps"/>, 4·… up to <see cref="Steps"/> (the cap),
    /// and an image keeps the first attribution whose completeness gap |Σ attr − (f(x)[t] − f(x')[t])| is at most
    /// Tolerance · |f(x)[t] − f(x')[t]|; images still above it at the cap keep the cap's attribution.
    /// <see cref="IntegratedGradients.AttributeWithConvergence"/> reports
    /// the steps and gap of each image.
    /// </summary>
    public double? Tolerance { get; init; }

    /// <summary>The first rung of the adaptive ladder (only with <see cref="Tolerance"/>). Default: <see cref="DefaultStartSteps"/>.</summary>
    public int StartSteps { get; init; } = DefaultStartSteps;

    /// <summary>The step counts an adaptive run tries, in order (<see cref="StartSteps"/> doubling, capped at <see cref="Steps"/>); one rung without a tolerance.</summary>
    public IReadOnlyList<int> Ladder()
    {
        if (Tolerance is null)
        {
            return [Steps];
        }

        var rungs = new List<int>();
        for (var n = Math.Min(StartSteps, Steps); n < Steps; n *= 2)
        {
            rungs.Add(n);
        }

        rungs.Add(Steps);
        return rungs;
    }

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, Quadrature.MinimumSteps(Rule), nameof(Steps));
        if (InternalBatchSize is { } b)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(InternalBatchSize));
        }

        if (Tolerance is { } t && (!(t > 0) || double.IsInfinity(t)))
        {
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "The tolerance must be a positive number (a fraction of |f(x) - f(baseline)|).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(StartSteps, Quadrature.MinimumSteps(Rule), nameof(StartSteps));
    }

    // The text form enters a run's map settings; without a tolerance it is what it was before the option existed, so
    // run folders from then still resume.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Steps = {Steps}, Rule = {Rule}, Baseline = {Baseline}, InternalBatchSize = {InternalBatchSize}");
        if (Tolerance is { } t)
        {
            builder.Append(System.Globalization.CultureInfo.InvariantCulture, $", Tolerance = {t:R}, StartSteps = {StartSteps}");
        }

        return true;
    }
}

/// <summary>Per image of one adaptive (or fixed) Integrated Gradients call: the steps used and the relative completeness gap.</summary>
/// <param name="Steps">Steps each image's attribution was computed with.</param>
/// <param name="RelativeGaps">|Σ attr − (f(x)[t] − f(x')[t])| / max(|f(x)[t] − f(x')[t]|, 1e-6), summed in float64.</param>
/// <param name="Deltas">Captum's convergence delta Σ attr − (f(x)[t] − f(x')[t]), signed, summed in float64.</param>
public sealed record IntegratedGradientsConvergence(int[] Steps, double[] RelativeGaps, double[] Deltas);

/// <summary>
/// Integrated Gradients (Sundararajan et al., https://arxiv.org/abs/1703.01365), as Captum's
/// <c>IntegratedGradients</c> with <c>multiply_by_inputs=True</c>:
/// attr = (x − x') ⊙ Σ_k s_k ∂f/∂x(x' + α_k (x − x')), with Captum's step sizes s_k and α_k. Returns [N,C,H,W].
/// </summary>
public sealed class IntegratedGradients : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "integrated-gradients";

    /// <summary>Creates the method.</summary>
    /// <param name="options">Options; default <see cref="IntegratedGradientsOptions"/>() (50 Gauss–Legendre steps from zeros).</param>
    public IntegratedGradients(IntegratedGradientsOptions? options = null)
    {
        Options = options ?? new IntegratedGradientsOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <inheritdoc/>
    public string Name => CliName;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target) => Run(model, input, target, false, out _);

    /// <summary>
    /// As <see cref="Attribute(IClassifier, Tensor, Tensor)"/>, also returning Captum's convergence delta
    /// Σ attr − (f(x)[t] − f(x')[t]) per image ([N], input dtype, summed in float64). The caller owns both tensors.
    /// </summary>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target, out Tensor delta)
    {
        var result = Run(model, input, target, true, out var d);
        delta = d!;
        return result;
    }

    /// <summary>
    /// As <see cref="Attribute(IClassifier, Tensor, Tensor)"/>, also returning each image's steps and relative completeness
    /// gap (the adaptive ladder of <see cref="IntegratedGradientsOptions.Tolerance"/>, or <see cref="IntegratedGradientsOptions.Steps"/> for all).
    /// </summary>
    public Tensor AttributeWithConvergence(IClassifier model, Tensor input, Tensor target, out IntegratedGradientsConvergence convergence)
    {
        var result = Run(model, input, target, true, out var delta, out var report);
        delta!.Dispose();
        convergence = report!;
        return result;
    }

    private Tensor Run(IClassifier model, Tensor input, Tensor target, bool withDelta, out Tensor? delta) =>
        Run(model, input, target, withDelta, out delta, out _);

    private Tensor Run(IClassifier model, Tensor input, Tensor target, bool withDelta, out Tensor? delta, out IntegratedGradientsConvergence? convergence)
    {
        AttributionGuard.CheckInputs(model, input, target);
        using var scope = NewDisposeScope();
        var x = input.detach();
        var baseline = (Options.Baseline ?? Baseline.Zeros).Materialize(x, "baseline").expand_as(x).contiguous();
        delta = null;
        convergence = null;
        var adaptive = Options.Tolerance is not null;
        if (!adaptive && !withDelta)
        {
            return Integrate(model, x, baseline, target, Options.Steps).MoveToOuterDisposeScope();
        }

        Tensor difference;
        using (torch.no_grad())
        {
            var fx = Gradients.TargetLogits(model, x, target).to_type(ScalarType.Float64);
            var fb = Gradients.TargetLogits(model, baseline, target).to_type(ScalarType.Float64);
            difference = fx - fb;
        }

        var n = (int)x.shape[0];
        var attributions = torch.zeros_like(x);
        var steps = new int[n];
        var gaps = new double[n];
        var rawDelta = new double[n];
        var remaining = Enumerable.Range(0, n).ToArray();
        var ladder = Options.Ladder();
        for (var rung = 0; rung < ladder.Count && remaining.Length > 0; rung++)
        {
            using var level = NewDisposeScope();
            var last = rung == ladder.Count - 1;
            var index = tensor(remaining.Select(i => (long)i).ToArray());
            var all = remaining.Length == n;
            var attr = Integrate(model, all ? x : x.index_select(0, index), all ? baseline : baseline.index_select(0, index), all ? target : target.index_select(0, index), ladder[rung]);
            var sums = attr.sum([1, 2, 3], type: ScalarType.Float64).data<double>().ToArray();
            var diffs = (all ? difference : difference.index_select(0, index)).data<double>().ToArray();
            var keep = new List<int>();
            var next = new List<int>();
            for (var k = 0; k < remaining.Length; k++)
            {
                var gap = Math.Abs(sums[k] - diffs[k]) / Math.Max(Math.Abs(diffs[k]), 1e-6);
                if (last || gap <= Options.Tolerance!.Value)
                {
                    keep.Add(k);
                    var i = remaining[k];
                    steps[i] = ladder[rung];
                    gaps[i] = gap;
                    rawDelta[i] = sums[k] - diffs[k];
                }
                else
                {
                    next.Add(remaining[k]);
                }
            }

            if (keep.Count == remaining.Length && all)
            {
                attributions = attr.MoveToOuterDisposeScope();
            }
            else if (keep.Count > 0)
            {
                var rows = tensor(keep.Select(k => (long)k).ToArray());
                var into = tensor(keep.Select(k => (long)remaining[k]).ToArray());
                attributions.index_copy_(0, into, attr.index_select(0, rows));
            }

            remaining = [.. next];
        }

        convergence = new IntegratedGradientsConvergence(steps, gaps, rawDelta);
        if (withDelta)
        {
            delta = tensor(rawDelta).to_type(x.dtype).MoveToOuterDisposeScope();
        }

        return attributions.MoveToOuterDisposeScope();
    }

    // (x − x') ⊙ Σ_k s_k ∂f/∂x(x' + α_k (x − x')) with a fixed number of steps; the caller's dispose scope owns the result.
    private Tensor Integrate(IClassifier model, Tensor x, Tensor baseline, Tensor target, int steps)
    {
        using var scope = NewDisposeScope();
        var diff = x - baseline;
        var (stepSizes, alphas) = Quadrature.StepSizesAndAlphas(Options.Rule, steps);
        var n = x.shape[0];
        var perChunk = Options.InternalBatchSize is { } ibs ? (int)Math.Max(1, ibs / n) : steps;

        var totalGrad = torch.zeros_like(x);
        for (var start = 0; start < steps; start += perChunk)
        {
            using var chunk = NewDisposeScope();
            var count = Math.Min(perChunk, steps - start);
            var scaled = torch.cat(Enumerable.Range(start, count).Select(k => baseline + (diff * alphas[k])).ToList(), 0);
            var grads = Gradients.InputGradients(model, scaled, target.repeat(count));

            // Accumulate step by step in a fixed order, so the result does not depend on the chunking.
            for (var k = 0; k < count; k++)
            {
                totalGrad.add_(grads.narrow(0, k * n, n) * (float)stepSizes[start + k]);
            }
        }

        return (totalGrad * diff).MoveToOuterDisposeScope();
    }
}
