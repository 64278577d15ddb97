using Chorus.Torch.Models;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>
/// An attribution method (Captum's <c>Attribution</c>): batched over dimension 0, one target class per image.
/// </summary>
/// <remarks>
/// Gradient methods differentiate the sum of the target logits over the batch, which gives per-image gradients
/// only if images do not interact: put the model in evaluation mode (<c>model.Module.eval()</c>) before
/// attributing; methods never change the mode themselves. Do not call them under <c>torch.inference_mode()</c>
/// (inference tensors cannot take part in autograd). Gradients are taken with <c>torch.autograd.grad</c> on a
/// detached copy of the input, so parameter <c>.grad</c> fields are never touched.
/// </remarks>
public interface IAttributionMethod
{
    /// <summary>CLI name, e.g. <c>integrated-gradients</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Attributions for <paramref name="input"/> [N,C,H,W] float32 and <paramref name="target"/> [N] int64.
    /// Input-space methods return [N,C,H,W]; layer methods (Grad-CAM) return [N,1,h,w], or [N,1,H,W] when
    /// they upsample. The caller owns the result; no other tensor outlives the call.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The input is not [N,C,H,W] floating point or holds NaN/Inf, the target is not [N] int64 in [0, K), or a
    /// method-specific argument (baseline, layer) does not fit; <see cref="ArgumentException.ParamName"/> names it.
    /// </exception>
    Tensor Attribute(IClassifier model, Tensor input, Tensor target);
}
