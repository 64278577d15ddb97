using System.Text.Json.Serialization;

namespace Chorus.Torch.Training;

/// <summary>
/// Random training augmentations, applied per batch on tensors by <see cref="Augmentation"/> and drawn from a
/// generator seeded from (training seed, member, epoch), so a run is reproducible. Each image gets its own draw.
/// </summary>
/// <param name="Flip">Horizontal flip with probability 1/2.</param>
/// <param name="MaxRotationDegrees">Rotation about the centre, uniform in ±this many degrees (0 = none; at most 180).</param>
/// <param name="MaxScale">Zoom factor uniform in [1 − this, 1 + this] (0 = none; below 1).</param>
/// <param name="MaxTranslate">Shift uniform in ±this fraction of the width (x) and height (y) (0 = none; at most 0.5).</param>
/// <param name="Brightness">Brightness factor uniform in [1 − this, 1 + this] (torchvision <c>ColorJitter</c>; 0 = none; at most 1).</param>
/// <param name="Contrast">Contrast factor uniform in [1 − this, 1 + this]: blend with the image's mean gray level (0 = none; at most 1).</param>
/// <param name="Saturation">Saturation factor uniform in [1 − this, 1 + this]: blend with the pixel's gray level (0 = none; at most 1).</param>
public sealed record AugmentationOptions(
    bool Flip,
    double MaxRotationDegrees,
    double MaxScale,
    double MaxTranslate,
    double Brightness,
    double Contrast,
    double Saturation)
{
    /// <summary>No augmentation: batches pass unchanged.</summary>
    public static AugmentationOptions None { get; } = new(false, 0, 0, 0, 0, 0, 0);

    /// <summary>Flip, ±10°, ±10 % zoom, ±10 % shift, brightness/contrast/saturation ±0.2.</summary>
    public static AugmentationOptions Standard { get; } = new(true, 10, 0.1, 0.1, 0.2, 0.2, 0.2);

    /// <summary>Whether nothing is changed (all off).</summary>
    [JsonIgnore]
    public bool IsNone => !Flip && !HasAffine && !HasColour;

    /// <summary>Whether a rotation, zoom or shift is drawn.</summary>
    [JsonIgnore]
    public bool HasAffine => MaxRotationDegrees != 0 || MaxScale != 0 || MaxTranslate != 0;

    /// <summary>Whether a colour jitter is drawn.</summary>
    [JsonIgnore]
    public bool HasColour => Brightness != 0 || Contrast != 0 || Saturation != 0;

    /// <summary>Parses a preset name: <c>none</c> or <c>standard</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static AugmentationOptions Parse(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "none" or "off" => None,
        "standard" => Standard,
        _ => throw new ArgumentException($"Unknown augmentation '{name}': use none or standard.", nameof(name)),
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values outside their ranges.</summary>
    public void Validate()
    {
        Check(MaxRotationDegrees, 180, nameof(MaxRotationDegrees), inclusive: true);
        Check(MaxScale, 1, nameof(MaxScale), inclusive: false);
        Check(MaxTranslate, 0.5, nameof(MaxTranslate), inclusive: true);
        Check(Brightness, 1, nameof(Brightness), inclusive: true);
        Check(Contrast, 1, nameof(Contrast), inclusive: true);
        Check(Saturation, 1, nameof(Saturation), inclusive: true);
    }

    private static void Check(double value, double max, string name, bool inclusive)
    {
        if (!(value >= 0) || (inclusive ? value > max : value >= max))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, {max}{(inclusive ? "]" : ")")}.");
        }
    }
}
