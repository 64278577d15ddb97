using Chorus.Torch.Models;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>
/// Input × Gradient: x ⊙ ∂f/∂x (Shrikumar et al., https://arxiv.org/abs/1605.01713; Captum <c>InputXGradient</c>,
/// which has no options). Returns [N,C,H,W].
/// </summary>
public sealed class InputXGradient : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "input-x-gradient";

    /// <inheritdoc/>
    public string Name => CliName;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target)
    {
        AttributionGuard.CheckInputs(model, input, target);
        using var scope = NewDisposeScope();
        var grad = Gradients.InputGradients(model, input, target);
        return (input.detach() * grad).MoveToOuterDisposeScope();
    }
}
