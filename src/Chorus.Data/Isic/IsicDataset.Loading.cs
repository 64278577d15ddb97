using Chorus.Data.Imaging;
using Chorus.Data.Loading;
using Chorus.Data.Regions;
using Chorus.Explanations;

namespace Chorus.Data.Isic;

public sealed partial class IsicDataset
{
    /// <summary>
    /// Decodes the images of <paramref name="split"/> in parallel, resizes them (bilinear) to
    /// <paramref name="size"/>×<paramref name="size"/> and adds one region per image, <see cref="LesionRegion"/>:
    /// the mask resized with nearest neighbour. A mask holding values other than 0 and 255 is an error for its image.
    /// The result is independent of the number of threads. <see cref="LoadedSplit.ImageIds"/> are <see cref="IsicImage.NumericId"/>;
    /// without labels every label is 0 and <see cref="LoadedSplit.ClassCount"/> is 1.
    /// </summary>
    /// <param name="split">Which images.</param>
    /// <param name="size">Side S of the output images.</param>
    /// <param name="options">Only <see cref="SplitLoadOptions.SkipCorrupt"/>, <see cref="SplitLoadOptions.MaxDegreeOfParallelism"/> and <see cref="SplitLoadOptions.Crop"/> apply.</param>
    /// <param name="progress">Receives the number of images processed so far.</param>
    /// <param name="cancellationToken">Stops between images.</param>
    /// <exception cref="ChorusException">The split has no images.</exception>
    /// <exception cref="ImageDataException">An image or mask cannot be read or the mask is not binary, and <see cref="SplitLoadOptions.SkipCorrupt"/> is false.</exception>
    public LoadedSplit LoadSplit(
        IsicSplit split,
        int size,
        SplitLoadOptions? options = null,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        options ??= new SplitLoadOptions();
        var images = Split(split);
        if (images.Count == 0)
        {
            throw new ChorusException($"ISIC dataset '{Root}': the {split.ToString().ToLowerInvariant()} split has no images" +
                (IsOfficialLayout ? $" (no image/mask pairs in {InputFolder(split)}/)." : " (a flat folder holds only the training split)."));
        }
        return SplitLoader.Load(
            images.Count,
            size,
            Math.Max(1, Classes.Count),
            [LesionRegion],
            i => new SplitLoader.Item(images[i].NumericId, Math.Max(0, images[i].ClassIndex)),
            (i, destination) =>
            {
                var image = images[i];
                var rgb = ImageIO.LoadRgb(image.ImagePath);
                var mask = LoadBinaryMask(image.MaskPath);
                if (mask.Width != rgb.Width || mask.Height != rgb.Height)
                {
                    throw new ImageDataException(image.MaskPath, $"mask is {mask.Width}×{mask.Height} but its image is {rgb.Width}×{rgb.Height}");
                }

                var small = SplitLoader.Resize(rgb, size, options.Crop, destination) is { } crop
                    ? crop.ApplyNearest(mask)
                    : ImageResize.Nearest(mask, size, size);

                var values = small.Pixels.Select(p => p != 0 ? 1f : 0f).ToArray();
                return [new RegionOfInterest(image.NumericId, LesionRegion, new SaliencyMap(size, size, values), RoiSource.Mask)];
            },
            options,
            progress,
            cancellationToken);
    }

    /// <summary>Decodes a mask that must hold only 0 and 255.</summary>
    /// <exception cref="ImageDataException">Unreadable, or a value other than 0 and 255.</exception>
    public static GrayImage LoadBinaryMask(string path)
    {
        var mask = ImageIO.LoadGray(path);
        var p = mask.Pixels;
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] is not (0 or 255))
            {
                throw new ImageDataException(path, $"mask is not binary: value {p[i]} at ({i % mask.Width}, {i / mask.Width}); expected only 0 and 255");
            }
        }

        return mask;
    }
}
