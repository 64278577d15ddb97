using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Gradient plumbing (Captum's <c>compute_gradients</c> / <c>compute_layer_gradients_and_eval</c>).</summary>
internal static class Gradients
{
    /// <summary>Σ_n logits[n, target[n]]: its gradient holds every image's own gradient when images are independent.</summary>
    public static Tensor TargetScore(Tensor logits, Tensor target) => logits.gather(1, target.unsqueeze(1)).sum();

    /// <summary>Target logits [N] without a graph.</summary>
    public static Tensor TargetLogits(IClassifier model, Tensor input, Tensor target)
    {
        using var noGrad = torch.no_grad();
        return model.Forward(input).gather(1, target.unsqueeze(1)).squeeze(1);
    }

    /// <summary>∂ logit_target / ∂ input, same shape as <paramref name="input"/>; created in the current scope.</summary>
    public static Tensor InputGradients(IClassifier model, Tensor input, Tensor target)
    {
        if (model is IInputGradientSource own)
        {
            return Dense(own.TargetInputGradients(input, target), input.dtype);
        }

        using var grad = torch.enable_grad();
        var x = input.detach().requires_grad_(true);
        var score = TargetScore(model.Forward(x), target);
        using (NumericsGuard.Backward())
        {
            return Dense(torch.autograd.grad([score], [x])[0], input.dtype);
        }
    }

    /// <summary>
    /// One forward and one backward: gradients with respect to the input and to the named layer's activation,
    /// plus that activation (detached). The input gradient is null unless requested. All are created in the current scope.
    /// </summary>
    public static (Tensor? InputGradient, Tensor Activation, Tensor LayerGradient) InputAndLayerGradients(
        IClassifier model, Tensor input, Tensor target, string layer, bool needInputGradient)
    {
        using var grad = torch.enable_grad();
        var x = input.detach().requires_grad_(true);
        var logits = model.Forward(x, layer, out var activation);
        var score = TargetScore(logits, target);
        using var backward = NumericsGuard.Backward();
        if (needInputGradient)
        {
            var grads = torch.autograd.grad([score], [x, activation]);
            return (Dense(grads[0], input.dtype), Dense(activation.detach(), input.dtype), Dense(grads[1], input.dtype));
        }

        // A reduced-precision model (BFloat16Classifier) gives its activation in bf16: the CAM arithmetic runs in the input's dtype.
        var layerGrad = torch.autograd.grad([score], [activation])[0];
        return (null, Dense(activation.detach(), input.dtype), Dense(layerGrad, input.dtype));
    }

    /// <summary>
    /// In <paramref name="dtype"/> and NCHW-contiguous: a model run in channels-last order (<see cref="ChannelsLastClassifier"/>)
    /// hands back channels-last gradients, and everything downstream (maps, .npy files) expects plain row-major tensors.
    /// </summary>
    private static Tensor Dense(Tensor t, ScalarType dtype) => t.to_type(dtype).contiguous();
}

/// <summary>
/// A model that computes ∂ Σ_n f(x_n)_{t_n} / ∂x itself rather than by one backward pass through <see cref="IClassifier.Forward(Tensor)"/>
/// (the shared-trunk ensemble: one trunk backward for every head). Every gradient method reaches it through
/// <see cref="Gradients.InputGradients"/>, so their step, chunking and accumulation logic is the same for it.
/// </summary>
internal interface IInputGradientSource
{
    /// <summary>The gradient, shaped like <paramref name="input"/>, created in the current dispose scope; backward passes under <see cref="Numerics.NumericsGuard"/>.</summary>
    Tensor TargetInputGradients(Tensor input, Tensor target);
}
