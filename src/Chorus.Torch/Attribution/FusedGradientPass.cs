using Chorus.Torch.Models;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Options of <see cref="FusedGradientPass"/>.</summary>
/// <param name="SaliencyAbs">As <see cref="SaliencyOptions.Abs"/>. Default: true.</param>
/// <param name="GradCam">Grad-CAM layer, ReLU and upsampling. Default: <see cref="GradCamOptions"/>().</param>
public sealed record FusedPassOptions(bool SaliencyAbs = true, GradCamOptions? GradCam = null)
{
    /// <summary>Throws if a value is out of range.</summary>
    public void Validate() => GradCam?.Validate();
}

/// <summary>The three maps of one fused pass; owns (and disposes) its tensors.</summary>
public sealed class FusedAttributions : IDisposable
{
    internal FusedAttributions(Tensor saliency, Tensor inputXGradient, Tensor gradCam)
    {
        Saliency = saliency;
        InputXGradient = inputXGradient;
        GradCam = gradCam;
    }

    /// <summary>Equal to <see cref="Attribution.Saliency"/>'s output, [N,C,H,W].</summary>
    public Tensor Saliency { get; }

    /// <summary>Equal to <see cref="Attribution.InputXGradient"/>'s output, [N,C,H,W].</summary>
    public Tensor InputXGradient { get; }

    /// <summary>Equal to <see cref="Attribution.GradCam"/>'s output with the same options.</summary>
    public Tensor GradCam { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Saliency.Dispose();
        InputXGradient.Dispose();
        GradCam.Dispose();
    }
}

/// <summary>
/// Saliency, Input×Gradient and Grad-CAM from ONE forward and ONE backward pass: the gradient of Σ_n f(x_n)_{t_n}
/// is taken with respect to the input and the Grad-CAM layer activation together. Results equal the three methods
/// run separately with the same options.
/// </summary>
public static class FusedGradientPass
{
    /// <summary>Runs the fused pass (model in eval mode, as for every method).</summary>
    public static FusedAttributions Compute(IClassifier model, Tensor input, Tensor target, FusedPassOptions? options = null)
    {
        options ??= new FusedPassOptions();
        options.Validate();
        var cam = options.GradCam ?? new GradCamOptions();
        AttributionGuard.CheckInputs(model, input, target);
        var layer = cam.Layer ?? model.DefaultCamLayer;
        AttributionGuard.CheckLayer(model, layer);
        using var scope = NewDisposeScope();
        var (maybeInputGrad, act, layerGrad) = Gradients.InputAndLayerGradients(model, input, target, layer, needInputGradient: true);
        var inputGrad = maybeInputGrad!;
        var saliency = options.SaliencyAbs ? inputGrad.abs() : inputGrad;
        var ixg = input.detach() * inputGrad;
        var map = CamMaps.Finish(CamMaps.GradCam(act, layerGrad), cam.Relu, cam.Upsample, input);
        return new FusedAttributions(saliency.MoveToOuterDisposeScope(), ixg.MoveToOuterDisposeScope(), map.MoveToOuterDisposeScope());
    }
}
