using Chorus.Torch.Models;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Options of <see cref="Saliency"/> (Captum <c>Saliency.attribute</c>).</summary>
/// <param name="Abs">Return |∂f/∂x| rather than the signed gradient. Default: true (Captum's default).</param>
public sealed record SaliencyOptions(bool Abs = true)
{
    /// <summary>Nothing to check; present for uniformity.</summary>
    public void Validate()
    {
    }
}

/// <summary>
/// Saliency: the gradient of the target logit with respect to the input, by default in absolute value
/// (Simonyan et al., https://arxiv.org/abs/1312.6034). Returns [N,C,H,W].
/// </summary>
public sealed class Saliency : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "saliency";

    /// <summary>Creates the method.</summary>
    /// <param name="options">Options; default <see cref="SaliencyOptions"/>().</param>
    public Saliency(SaliencyOptions? options = null)
    {
        Options = options ?? new SaliencyOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public SaliencyOptions Options { get; }

    /// <inheritdoc/>
    public string Name => CliName;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target)
    {
        AttributionGuard.CheckInputs(model, input, target);
        using var scope = NewDisposeScope();
        var grad = Gradients.InputGradients(model, input, target);
        var result = Options.Abs ? grad.abs() : grad;
        return result.MoveToOuterDisposeScope();
    }
}
