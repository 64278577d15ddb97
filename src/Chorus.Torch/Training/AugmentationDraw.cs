namespace Chorus.Torch.Training;

/// <summary>
/// The random parameters of one batch, one entry per image (see <see cref="AugmentationOptions"/> for the ranges).
/// Parameters of disabled augmentations hold their neutral values (no flip, 0°, ×1, no shift, factors 1).
/// </summary>
/// <param name="Flip">Whether image i is mirrored left-right.</param>
/// <param name="RotationDegrees">Counter-clockwise rotation about the centre, degrees.</param>
/// <param name="Scale">Zoom factor (above 1 enlarges the content).</param>
/// <param name="TranslateX">Shift right, as a fraction of the width.</param>
/// <param name="TranslateY">Shift down, as a fraction of the height.</param>
/// <param name="Brightness">Brightness factor.</param>
/// <param name="Contrast">Contrast factor.</param>
/// <param name="Saturation">Saturation factor.</param>
public sealed record AugmentationDraw(
    bool[] Flip,
    double[] RotationDegrees,
    double[] Scale,
    double[] TranslateX,
    double[] TranslateY,
    double[] Brightness,
    double[] Contrast,
    double[] Saturation)
{
    /// <summary>Number of images.</summary>
    public int Count => Flip.Length;
}
