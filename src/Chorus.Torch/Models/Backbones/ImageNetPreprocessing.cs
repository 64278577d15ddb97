using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>Input conversions for pretrained backbones.</summary>
public static class ImageNetPreprocessing
{
    /// <summary>Per-channel mean the CNTK ResNet-18 expects subtracted, in its B, G, R channel order (0–255 scale).</summary>
    public static IReadOnlyList<float> ResNet18BgrMean { get; } = [103.06f, 115.90f, 123.15f];

    /// <summary>
    /// From RGB images in [0,1] to the input of <see cref="PretrainedModels.ResNet18ImageNetPath"/>:
    /// channels reversed to BGR, scaled to 0–255 and the ImageNet mean subtracted (no division by a std).
    /// Differentiable, so attributions can be taken with respect to the RGB image.
    /// </summary>
    /// <param name="rgb">[N,3,H,W] float32, RGB, values in [0,1].</param>
    /// <returns>[N,3,H,W] float32, BGR, 0–255 minus the mean; the caller owns it.</returns>
    public static Tensor ResNet18Input(Tensor rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.dim() != 4 || rgb.shape[1] != 3)
        {
            throw new ArgumentException($"Expected RGB images [N,3,H,W], got [{string.Join(",", rgb.shape)}].", nameof(rgb));
        }

        using var scope = NewDisposeScope();
        var mean = tensor(ResNet18BgrMean.ToArray(), [1, 3, 1, 1], rgb.dtype, rgb.device);
        var bgr = rgb.flip(1) * 255f - mean;
        return bgr.MoveToOuterDisposeScope();
    }
}
