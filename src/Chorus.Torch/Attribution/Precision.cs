using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Arithmetic precision of the model's forward and backward passes during attribution.</summary>
public enum Precision
{
    /// <summary>float32 throughout (the default; what Captum does).</summary>
    Float32,

    /// <summary>
    /// Model weights, activations and their gradients in bfloat16; inputs, baselines, step weights, accumulation
    /// and the returned maps stay float32. Opt-in: faster only on CPUs with native bf16 (AVX512-BF16, AMX).
    /// </summary>
    BFloat16,
}

/// <summary>CLI names of <see cref="Precision"/>: <c>fp32</c> and <c>bf16</c>.</summary>
public static class PrecisionNames
{
    /// <summary>Every accepted name, canonical spelling first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fp32", "bf16"];

    /// <summary>Parses <c>fp32</c>/<c>float32</c> or <c>bf16</c>/<c>bfloat16</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other text; the message lists the known names.</exception>
    public static Precision Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "fp32" or "float32" => Precision.Float32,
            "bf16" or "bfloat16" => Precision.BFloat16,
            _ => throw new ArgumentException($"Unknown precision '{text}'; known: {string.Join(", ", Names)}.", nameof(text)),
        };
    }

    /// <summary>The canonical CLI name (<c>fp32</c> or <c>bf16</c>).</summary>
    public static string ToCliName(this Precision precision) => precision switch
    {
        Precision.Float32 => "fp32",
        Precision.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };
}

/// <summary>
/// Runs a float32 classifier in bfloat16 for as long as this object lives, and gives it back bit-for-bit unchanged.
/// On creation every floating-point parameter and buffer is cloned in float32 and the module is converted with
/// <c>module.to(bfloat16)</c>; <see cref="Forward(Tensor)"/> casts the input to bfloat16 and the logits back to the
/// input's dtype (the casts are part of the autograd graph, so ∂logit/∂input arrives in float32);
/// <see cref="Dispose"/> converts the module back and copies the saved float32 values in, so the model's weights
/// are exactly what they were (a bf16 round trip alone would round them). Disposing does not dispose the model.
/// </summary>
/// <remarks>
/// While borrowed, the model itself is in bfloat16: do not use it elsewhere (e.g. on another thread) until this
/// object is disposed. Layer activations (<see cref="Forward(Tensor, string, out Tensor)"/>) stay bfloat16 so
/// that gradients with respect to them can be taken; the attribution methods cast those gradients to the input dtype.
/// </remarks>
public sealed class BFloat16Classifier : IClassifier
{
    private readonly IClassifier _inner;
    private readonly ModuleDtype _converted;
    private bool _disposed;

    /// <summary>Converts <paramref name="model"/> (float32) to bfloat16 until <see cref="Dispose"/>.</summary>
    /// <exception cref="ArgumentException">The model holds floating-point tensors that are not float32.</exception>
    public BFloat16Classifier(IClassifier model)
    {
        _inner = model ?? throw new ArgumentNullException(nameof(model));
        if (model is BFloat16Classifier)
        {
            throw new ArgumentException("The model is already running in bfloat16.", nameof(model));
        }

        _converted = new ModuleDtype(model.Module, ScalarType.BFloat16, "bf16 attribution");
    }

    /// <summary>The borrowed float32 model.</summary>
    public IClassifier Inner => _inner;

    /// <inheritdoc/>
    public nn.Module Module => _inner.Module;

    /// <inheritdoc/>
    public int NumClasses => _inner.NumClasses;

    /// <inheritdoc/>
    public IReadOnlyList<string> LayerNames => _inner.LayerNames;

    /// <inheritdoc/>
    public string DefaultCamLayer => _inner.DefaultCamLayer;

    /// <summary>Logits [N,K] in the input's dtype, computed in bfloat16.</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        return _inner.Forward(input.to_type(ScalarType.BFloat16)).to_type(input.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [N,K] in the input's dtype, and the named layer's bfloat16 activation (same graph).</summary>
    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        var logits = _inner.Forward(input.to_type(ScalarType.BFloat16), layer, out var act).to_type(input.dtype);
        activation = act.MoveToOuterDisposeScope();
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Converts the model back to float32 and restores its exact saved values; the model stays usable.</summary>
    public void Dispose()
    {
        _disposed = true;
        _converted.Dispose();
    }
}

/// <summary>
/// Runs any attribution method in a given <see cref="Precision"/> (what <see cref="AttributionMethodFactory"/> builds
/// when <see cref="AttributionSettings.Precision"/> is bf16). For bf16 each call borrows the model as a
/// <see cref="BFloat16Classifier"/> (convert, attribute, restore); a model that is already a
/// <see cref="BFloat16Classifier"/> (or a <see cref="ChannelsLastClassifier"/> around one) is used as it is, which avoids the per-call conversion over many batches.
/// Maps are returned in the input's dtype (float32).
/// </summary>
public sealed class PrecisionAttribution : IAttributionMethod
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public PrecisionAttribution(IAttributionMethod inner, Precision precision)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (!Enum.IsDefined(precision))
        {
            throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision.");
        }

        Precision = precision;
    }

    /// <summary>The wrapped method.</summary>
    public IAttributionMethod Inner { get; }

    /// <summary>The precision of the model passes.</summary>
    public Precision Precision { get; }

    /// <inheritdoc/>
    public string Name => Inner.Name;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Precision == Precision.Float32 || model is BFloat16Classifier || model is ChannelsLastClassifier { Inner: BFloat16Classifier })
        {
            return Inner.Attribute(model, input, target);
        }

        AttributionGuard.CheckInputs(model, input, target);
        using var passes = new ModelPasses(model, Precision, MemoryLayout.Contiguous, input);
        return Inner.Attribute(passes.Model, input, target);
    }
}
