using Chorus.Data.Regions;

namespace Chorus.Data.Loading;

/// <summary>
/// A split decoded into memory, ready for a model: <see cref="Pixels"/> holds N images resized to S×S, planar CHW
/// RGB in [0, 1] (<c>Pixels[((n * 3 + c) * S + y) * S + x]</c>); the model side normalises. Independent of TorchSharp.
/// </summary>
public sealed record LoadedSplit
{
    /// <summary>Number of images loaded (skipped ones excluded).</summary>
    public required int Count { get; init; }

    /// <summary>Side S of the square images.</summary>
    public required int Size { get; init; }

    /// <summary>Number of classes of the dataset (labels are in [0, ClassCount)).</summary>
    public required int ClassCount { get; init; }

    /// <summary>N×3×S×S floats in [0, 1].</summary>
    public required float[] Pixels { get; init; }

    /// <summary>0-based class index of each image.</summary>
    public required int[] Labels { get; init; }

    /// <summary>Dataset image id of each image.</summary>
    public required int[] ImageIds { get; init; }

    /// <summary>Part name → per-image region at S×S (null where the part is not visible), for the parts requested.</summary>
    public required IReadOnlyDictionary<string, RegionOfInterest?[]> Regions { get; init; }

    /// <summary>Images that could not be read and were skipped (only with <see cref="SplitLoadOptions.SkipCorrupt"/>).</summary>
    public required IReadOnlyList<SkippedImage> Skipped { get; init; }

    /// <summary>The pixels of image <paramref name="n"/> (3×S×S floats).</summary>
    public Memory<float> Image(int n) => Pixels.AsMemory(n * 3 * Size * Size, 3 * Size * Size);

    /// <summary>The pixels ([k, 3, S, S], planar) and labels of the images at <paramref name="indices"/>, in that order (a copy).</summary>
    public (float[] Pixels, int[] Labels) Gather(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var plane = 3 * Size * Size;
        var pixels = new float[(long)indices.Count * plane];
        var labels = new int[indices.Count];
        for (var k = 0; k < indices.Count; k++)
        {
            Array.Copy(Pixels, (long)indices[k] * plane, pixels, (long)k * plane, plane);
            labels[k] = Labels[indices[k]];
        }

        return (pixels, labels);
    }

    /// <summary>Image <paramref name="n"/> as interleaved RGB bytes (row-major, 3 per pixel; values × 255, rounded, clamped), for figures.</summary>
    public byte[] Rgb(int n)
    {
        var s = Size;
        var rgb = new byte[s * s * 3];
        var pixels = Image(n).Span;
        for (var y = 0; y < s; y++)
        {
            for (var x = 0; x < s; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    rgb[(((y * s) + x) * 3) + c] = (byte)Math.Clamp(Math.Round(pixels[(((c * s) + y) * s) + x] * 255), 0, 255);
                }
            }
        }

        return rgb;
    }
}

/// <summary>An image left out of a <see cref="LoadedSplit"/>, with the reason (one line naming the file).</summary>
public sealed record SkippedImage(int ImageId, string Path, string Reason);

/// <summary>Options of <see cref="Cub.CubDataset.LoadSplit"/>.</summary>
/// <param name="Parts">Regions to build for every image (e.g. <see cref="RoiPart.Beak"/>, <see cref="RoiPart.Wings"/>). Default none.</param>
/// <param name="SkipCorrupt">Skip and count unreadable images instead of throwing. Default false (the first
/// failure, by image order, throws its <see cref="Imaging.ImageDataException"/>).</param>
/// <param name="Roi">Options of the regions; default <c>new RoiOptions()</c>.</param>
/// <param name="MaxDegreeOfParallelism">Decoding threads; -1 (default) for all cores. Does not affect the result.</param>
/// <param name="Crop">Resize the shorter side to S and keep the centred S×S square (torchvision <c>Resize(S)</c> +
/// <c>CenterCrop(S)</c>, <see cref="Transforms.GeometricTransform.ResizeShorterSideThenCentreCrop"/>) instead of stretching
/// the whole image to S×S; regions follow the same geometry. Default false (stretch, as before).</param>
public sealed record SplitLoadOptions(
    IReadOnlyList<RoiPart>? Parts = null,
    bool SkipCorrupt = false,
    RoiOptions? Roi = null,
    int MaxDegreeOfParallelism = -1,
    bool Crop = false);
