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
    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, Quadrature.MinimumSteps(Rule), nameof(Steps));
        if (InternalBatchSize is { } b)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(InternalBatchSize));
        }
    }
}

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

    private Tensor Run(IClassifier model, Tensor input, Tensor target, bool withDelta, out Tensor? delta)
    {
        AttributionGuard.CheckInputs(model, input, target);
        using var scope = NewDisposeScope();
        var x = input.detach();
        var baseline = (Options.Baseline ?? Baseline.Zeros).Materialize(x, "baseline");
        var diff = x - baseline;
        var (stepSizes, alphas) = Quadrature.StepSizesAndAlphas(Options.Rule, Options.Steps);
        var n = x.shape[0];
        var steps = Options.Steps;
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

        var attributions = totalGrad * diff;
        delta = null;
        if (withDelta)
        {
            using var noGrad = torch.no_grad();
            var fx = Gradients.TargetLogits(model, x, target);
            var fb = Gradients.TargetLogits(model, baseline.contiguous(), target);
            var sum = attributions.sum([1, 2, 3], type: ScalarType.Float64);
            delta = (sum - (fx.to_type(ScalarType.Float64) - fb.to_type(ScalarType.Float64))).to_type(x.dtype).MoveToOuterDisposeScope();
        }

        return attributions.MoveToOuterDisposeScope();
    }
}
