using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>How <see cref="NoiseTunnel"/> combines the attributions of the noisy copies (Captum <c>nt_type</c>).</summary>
public enum NoiseTunnelType
{
    /// <summary>Mean of the attributions (<c>smoothgrad</c>).</summary>
    SmoothGrad,

    /// <summary>Mean of the squared attributions (<c>smoothgrad_sq</c>).</summary>
    SmoothGradSquared,

    /// <summary>Mean of squares minus square of the mean (<c>vargrad</c>).</summary>
    VarGrad,
}

/// <summary>Options of <see cref="NoiseTunnel"/>, with Captum's defaults.</summary>
/// <param name="Type">Combination rule. Default: SmoothGrad.</param>
/// <param name="Samples">Noisy copies per image (Captum <c>nt_samples</c>). Default: 5.</param>
/// <param name="Stdevs">Absolute σ of the Gaussian noise N(0, σ²) added to the input, in input units (Captum <c>stdevs</c>). Default: 1.0.</param>
/// <param name="SamplesBatchSize">
/// Noisy copies per call of the wrapped method (Captum <c>nt_samples_batch_size</c>); null: all at once.
/// The result does not depend on it.
/// </param>
public sealed record NoiseTunnelOptions(
    NoiseTunnelType Type = NoiseTunnelType.SmoothGrad,
    int Samples = 5,
    double Stdevs = 1.0,
    int? SamplesBatchSize = null)
{
    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Samples, 1, nameof(Samples));
        if (!double.IsFinite(Stdevs) || Stdevs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Stdevs), Stdevs, "Stdevs must be finite and non-negative.");
        }

        if (SamplesBatchSize is { } b)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(SamplesBatchSize));
        }
    }
}

/// <summary>
/// NoiseTunnel (SmoothGrad, Smilkov et al., https://arxiv.org/abs/1706.03825; VarGrad, Adebayo et al.,
/// https://arxiv.org/abs/1810.03307) wrapping any method, as Captum's <c>NoiseTunnel</c>: the wrapped method runs on
/// x + N(0, σ²) for each sample, and the results are averaged (or squared and averaged, or their variance taken).
/// Output shape is the wrapped method's.
/// </summary>
public sealed class NoiseTunnel : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "smoothgrad";

    private readonly Generator _generator;

    /// <summary>Creates the wrapper.</summary>
    /// <param name="inner">The wrapped method (e.g. <see cref="Saliency"/>).</param>
    /// <param name="generator">Seeded source of the noise (caller-owned).</param>
    /// <param name="options">Options; default <see cref="NoiseTunnelOptions"/>() (smoothgrad, 5 samples, σ = 1).</param>
    public NoiseTunnel(IAttributionMethod inner, Generator generator, NoiseTunnelOptions? options = null)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _generator = generator ?? throw new ArgumentNullException(nameof(generator));
        Options = options ?? new NoiseTunnelOptions();
        Options.Validate();
    }

    /// <summary>The wrapped method.</summary>
    public IAttributionMethod Inner { get; }

    /// <summary>The options in use.</summary>
    public NoiseTunnelOptions Options { get; }

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
        var perChunk = Options.SamplesBatchSize is { } b ? Math.Min(b, samples) : samples;
        Tensor? sum = null;
        Tensor? sumSq = null;
        for (var start = 0; start < samples; start += perChunk)
        {
            using var chunk = NewDisposeScope();
            var count = Math.Min(perChunk, samples - start);
            var noisy = new List<Tensor>(count);
            for (var s = 0; s < count; s++)
            {
                // One draw per sample, in order: the same numbers whatever the chunking.
                var noise = torch.randn(x.shape, dtype: x.dtype, device: _generator.device, generator: _generator).to(x.device);
                noisy.Add(x + (noise * Options.Stdevs));
            }

            var attr = Inner.Attribute(model, torch.cat(noisy, 0), target.repeat(count));
            for (var s = 0; s < count; s++)
            {
                var a = attr.narrow(0, s * n, n);
                if (sum is null)
                {
                    sum = torch.zeros_like(a).MoveToOuterDisposeScope();
                    sumSq = torch.zeros_like(a).MoveToOuterDisposeScope();
                }

                sum.add_(a);
                sumSq!.add_(a.square());
            }
        }

        var mean = sum!.div_(samples);
        var meanSq = sumSq!.div_(samples);
        var result = Options.Type switch
        {
            NoiseTunnelType.SmoothGrad => mean,
            NoiseTunnelType.SmoothGradSquared => meanSq,
            _ => meanSq - (mean * mean),
        };
        return result.MoveToOuterDisposeScope();
    }
}
