using Chorus.Data.Imaging;
using Chorus.Data.Loading;
using Chorus.Data.Regions;

namespace Chorus.Data.Cub;

public sealed partial class CubDataset
{
    /// <summary>
    /// Decodes the images of <paramref name="split"/> in parallel, resizes them (bilinear) to
    /// <paramref name="size"/>×<paramref name="size"/> and builds the requested regions at the same size.
    /// The result is independent of the number of threads.
    /// </summary>
    /// <param name="split">Train, test or all images.</param>
    /// <param name="size">Side S of the output images (e.g. the model's input size).</param>
    /// <param name="options">Options; default: no regions, corrupt images throw.</param>
    /// <param name="progress">Receives the number of images processed so far.</param>
    /// <param name="cancellationToken">Stops between images.</param>
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
        var n = images.Count;
        var plane = 3 * size * size;
        var pixels = new float[checked(n * plane)];
        var regions = parts.Select(_ => new RegionOfInterest?[n]).ToArray();
        var errors = new ImageDataException?[n];
        var done = 0;
        Parallel.For(
            0,
            n,
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken },
            (i, state) =>
            {
                var image = images[i];
                try
                {
                    var rgb = ImageIO.LoadRgb(image.FullPath);
                    ImageResize.BilinearToPlanar(rgb, size, size, pixels.AsSpan(i * plane, plane));
                    for (var p = 0; p < parts.Count; p++)
                    {
                        regions[p][i] = GetRegion(image, parts[p], size, size, roiOptions, (rgb.Width, rgb.Height));
                    }
                }
                catch (ImageDataException e)
                {
                    errors[i] = e;
                    if (!options.SkipCorrupt)
                    {
                        state.Stop();
                    }
                }

                progress?.Report(Interlocked.Increment(ref done));
            });

        var firstError = Array.FindIndex(errors, e => e is not null);
        if (firstError >= 0 && !options.SkipCorrupt)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(errors[firstError]!);
        }

        var keep = Enumerable.Range(0, n).Where(i => errors[i] is null).ToArray();
        if (keep.Length != n)
        {
            var compact = new float[keep.Length * plane];
            for (var k = 0; k < keep.Length; k++)
            {
                Array.Copy(pixels, keep[k] * plane, compact, k * plane, plane);
            }

            pixels = compact;
        }

        return new LoadedSplit
        {
            Count = keep.Length,
            Size = size,
            ClassCount = Classes.Count,
            Pixels = pixels,
            Labels = keep.Select(i => images[i].ClassIndex).ToArray(),
            ImageIds = keep.Select(i => images[i].Id).ToArray(),
            Regions = parts.Select((p, k) => (p.Name, Values: keep.Select(i => regions[k][i]).ToArray()))
                .ToDictionary(t => t.Name, t => t.Values),
            Skipped = Enumerable.Range(0, n).Where(i => errors[i] is not null)
                .Select(i => new SkippedImage(images[i].Id, errors[i]!.Path, errors[i]!.Problem)).ToList(),
        };
    }
}
