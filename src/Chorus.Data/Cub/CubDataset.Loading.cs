using Chorus.Data.Imaging;
using Chorus.Data.Loading;
using Chorus.Data.Regions;

namespace Chorus.Data.Cub;

public sealed partial class CubDataset
{
    /// <summary>
    /// Decodes the images of <paramref name="split"/> in parallel, resizes them (bilinear) to
    /// <paramref name="size"/>×<paramref name="size"/> (stretched, or shorter side then centre crop with
    /// <see cref="SplitLoadOptions.Crop"/>) and builds the requested regions at the same size and geometry.
    /// The result is independent of the number of threads.
    /// </summary>
    /// <param name="split">Train, test or all images.</param>
    /// <param name="size">Side S of the output images (e.g. the model's input size).</param>
    /// <param name="options">Options; default: no regions, corrupt images throw.</param>
    /// <param name="progress">Receives the number of images processed so far.</param>
    /// <param name="cancellationToken">Stops between images.</param>
    /// <exception cref="ChorusException">The split has no images.</exception>
    /// <exception cref="ImageDataException">An image or mask cannot be read and <see cref="SplitLoadOptions.SkipCorrupt"/> is false.</exception>
    public LoadedSplit LoadSplit(
        CubSplit split,
        int size,
        SplitLoadOptions? options = null,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        options ??= new SplitLoadOptions();
        var roiOptions = options.Roi ?? new RoiOptions();
        roiOptions.Validate();
        var parts = options.Parts ?? [];
        if (parts.Select(p => p.Name).Distinct().Count() != parts.Count)
        {
            throw new ArgumentException("Requested parts must have distinct names.", nameof(options));
        }

        var images = Split(split);
        if (images.Count == 0)
        {
            throw new ChorusException($"CUB dataset '{Root}': the {split.ToString().ToLowerInvariant()} split has no images (see train_test_split.txt and the class selection).");
        }
        return SplitLoader.Load(
            images.Count,
            size,
            Classes.Count,
            [.. parts.Select(p => p.Name)],
            i => new SplitLoader.Item(images[i].Id, images[i].ClassIndex),
            (i, destination) =>
            {
                var image = images[i];
                var rgb = ImageIO.LoadRgb(image.FullPath);
                return SplitLoader.Resize(rgb, size, options.Crop, destination) is { } crop
                    ? [.. parts.Select(part => GetRegion(image, part, crop, roiOptions))]
                    : [.. parts.Select(part => GetRegion(image, part, size, size, roiOptions, (rgb.Width, rgb.Height)))];
            },
            options,
            progress,
            cancellationToken);
    }
}
