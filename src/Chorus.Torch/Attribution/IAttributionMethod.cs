using Chorus.Torch.Models;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>
/// An attribution method (Captum's <c>Attribution</c>): batched over dimension 0, one target class per image.
/// </summary>
public interface IAttributionMethod
{
    /// <summary>CLI name, e.g. <c>integrated-gradients</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Attributions for <paramref name="input"/> [N,C,H,W] float32 and <paramref name="target"/> [N] int64.
    /// Input-space methods return [N,C,H,W]; layer methods (Grad-CAM) return [N,1,h,w], or [N,1,H,W] when
    /// they upsample. The caller owns the result; no other tensor outlives the call.
    /// </summary>
    Tensor Attribute(IClassifier model, Tensor input, Tensor target);
}
