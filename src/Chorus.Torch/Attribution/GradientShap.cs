using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Options of <see cref="GradientShap"/>.</summary>
/// <param name="References">
/// The reference (baseline) distribution, drawn from uniformly per image and sample (Captum's <c>baselines</c>,
/// which has no default). Default when null: { zeros, the input box-blurred with a 9×9 kernel }
/// (see <see cref="DefaultReferences"/>).
/// </param>
/// <param name="Samples">Random draws per image (Captum <c>n_samples</c>). Default: 5.</param>
/// <param name="Stdevs">Absolute σ of the Gaussian noise added to the input per sample (Captum <c>stdevs</c>). Default: 0.</param>
/// <param name="InternalBatchSize">
/// Images per forward/backward: chunks hold max(1, InternalBatchSize / N) samples of all N images. Null: all samples at
/// once. The result does not depend on it (random numbers are drawn in the same order).
/// </param>
public sealed record GradientShapOptions(
    IReadOnlyList<Baseline>? References = null,
    int Samples = 5,
    double Stdevs = 0.0,
    int? InternalBatchSize = null)
{
    // The text form enters a run's map settings: the references by value (the record's own text would name the list's type),
    // and exactly what it was before when there are none, so run folders from then still resume.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var references = References is null ? "" : "[" + string.Join(", ", References) + "]";
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"References = {references}, Samples = {Samples}, Stdevs = {Stdevs}, InternalBatchSize = {InternalBatchSize}");
        return true;
    }

    /// <summary>The references used when none are given: zeros and a 9×9 box blur of the input.</summary>
    public static IReadOnlyList<Baseline> DefaultReferences { get; } = [Baseline.Zeros, Baseline.Blurred(9)];

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Samples, 1, nameof(Samples));
        if (!double.IsFinite(Stdevs) || Stdevs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Stdevs), Stdevs, "Stdevs must be finite and non-negative.");
        }

        if (References is { Count: 0 })
        {
            throw new ArgumentException("At least one reference is needed.", nameof(References));
        }

        if (InternalBatchSize is { } b)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(InternalBatchSize));
        }
    }
}

/// <summary>
/// Gradient SHAP (Lundberg and Lee, https://arxiv.org/abs/1705.07874), as Captum's <c>GradientShap</c>: for each
/// image and sample draw a reference x' from the set, α ~ U[0, 1) and the noisy input x̃ = x + N(0, σ²); take
/// g = ∂f/∂x at α x̃ + (1 − α) x'; the attribution is the mean over samples of (x̃ − x') ⊙ g
/// (Captum's <c>InputBaselineXGradient</c> under a smoothgrad <c>NoiseTunnel</c>: the noisy input is the one
/// multiplied). Its expectation with σ = 0 is the mean over references of Integrated Gradients. Returns [N,C,H,W].
/// </summary>
public sealed class GradientShap : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "gradient-shap";

    private readonly Generator _generator;

    /// <summary>Creates the method.</summary>
    /// <param name="generator">Seeded source of all random draws (caller-owned, e.g. <c>new torch.Generator(seed)</c>).</param>
    /// <param name="options">Options; default <see cref="GradientShapOptions"/>().</param>
    public GradientShap(Generator generator, GradientShapOptions? options = null)
    {
        _generator = generator ?? throw new ArgumentNullException(nameof(generator));
        Options = options ?? new GradientShapOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public GradientShapOptions Options { get; }

    /// <inheritdoc/>
    public string Name => CliName;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target)
    {
        AttributionGuard.CheckInputs(model, input, target);
        using var scope = NewDisposeScope();
        var x = input.detach();
        var n = x.shape[0];
        var samples = Options.Samples;
        var references = Options.References ?? GradientShapOptions.DefaultReferences;

        // [R*N, C, H, W]: reference r of image i at row r*N + i.
        var refs = torch.cat(references.Select(r => r.Materialize(x, "references").contiguous()).ToList(), 0);

        // All per-(sample, image) draws first, then the noise sample by sample: the stream is the same for any chunking.
        var genDevice = _generator.device;
        var alpha = torch.rand(new long[] { samples, n }, dtype: x.dtype, device: genDevice, generator: _generator).to(x.device);
        var pick = torch.randint((long)references.Count, new long[] { samples, n }, dtype: ScalarType.Int64, device: genDevice, generator: _generator).to(x.device);
        var rows = (pick * n) + torch.arange(n, dtype: ScalarType.Int64, device: x.device);

        var perChunk = Options.InternalBatchSize is { } ibs ? (int)Math.Max(1, ibs / n) : samples;
        var total = torch.zeros_like(x);
        for (var start = 0; start < samples; start += perChunk)
        {
            using var chunk = NewDisposeScope();
            var count = Math.Min(perChunk, samples - start);
            var noisy = new List<Tensor>(count);
            var bases = new List<Tensor>(count);
            var scaled = new List<Tensor>(count);
            for (var s = start; s < start + count; s++)
            {
                var xs = Options.Stdevs > 0
                    ? x + (torch.randn(x.shape, dtype: x.dtype, device: genDevice, generator: _generator).to(x.device) * Options.Stdevs)
                    : x;
                var b = refs.index_select(0, rows[s]);
                var a = alpha[s].view(n, 1, 1, 1);
                noisy.Add(xs);
                bases.Add(b);
                scaled.Add((a * xs) + ((1 - a) * b));
            }

            var grads = Gradients.InputGradients(model, torch.cat(scaled, 0), target.repeat(count));
            for (var k = 0; k < count; k++)
            {
                total.add_((noisy[k] - bases[k]) * grads.narrow(0, k * n, n));
            }
        }

        return total.div_(samples).MoveToOuterDisposeScope();
    }
}
