using System.Runtime.ExceptionServices;
using Chorus.Data.Imaging;
using Chorus.Data.Regions;
using Chorus.Data.Transforms;

namespace Chorus.Data.Loading;

/// <summary>
/// The loading loop every dataset shares: decode images in parallel into one planar buffer, stop at the first
/// unreadable image (or skip and list it with <see cref="SplitLoadOptions.SkipCorrupt"/>), drop the skipped
/// images and assemble the <see cref="LoadedSplit"/>. The result does not depend on the number of threads.
/// </summary>
internal static class SplitLoader
{
    /// <summary>What a dataset says about image <c>i</c> of the split.</summary>
    /// <param name="Id">The image id recorded in <see cref="LoadedSplit.ImageIds"/>.</param>
    /// <param name="Label">The 0-based class index.</param>
    internal readonly record struct Item(int Id, int Label);

    /// <summary>
    /// Writes <paramref name="rgb"/> into the 3×S×S <paramref name="destination"/> as every reader does: stretched to
    /// S×S (bilinear), or with <paramref name="crop"/> its shorter side resized to S and the centred square kept.
    /// </summary>
    /// <returns>The crop's transform (regions must follow it), or null when the image was stretched.</returns>
    public static GeometricTransform? Resize(RgbImage rgb, int size, bool crop, Span<float> destination)
    {
        if (!crop)
        {
            ImageResize.BilinearToPlanar(rgb, size, size, destination);
            return null;
        }

        var transform = GeometricTransform.ResizeShorterSideThenCentreCrop(rgb.Width, rgb.Height, size);
        transform.ApplyToPlanar(rgb, destination);
        return transform;
    }

    /// <param name="count">Images in the split.</param>
    /// <param name="size">Side S of the output images.</param>
    /// <param name="classCount">Classes of the dataset.</param>
    /// <param name="regionNames">Names of the regions <paramref name="loadOne"/> returns, in its order.</param>
    /// <param name="describe">Id and label of image i.</param>
    /// <param name="loadOne">Decodes image i into the given 3×S×S destination and returns its regions (one per name);
    /// throws <see cref="ImageDataException"/> for an unreadable image.</param>
    /// <param name="options">Skip policy and parallelism.</param>
    /// <param name="progress">Receives the number of images processed so far.</param>
    /// <param name="cancellationToken">Stops between images.</param>
    public static LoadedSplit Load(
        int count,
        int size,
        int classCount,
        IReadOnlyList<string> regionNames,
        Func<int, Item> describe,
        Func<int, Span<float>, RegionOfInterest?[]> loadOne,
        SplitLoadOptions options,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var plane = 3 * size * size;
        var pixels = new float[checked(count * plane)];
        var regions = new RegionOfInterest?[count][];
        var errors = new ImageDataException?[count];
        var done = 0;
        Parallel.For(
            0,
            count,
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken },
            (i, state) =>
            {
                try
                {
                    regions[i] = loadOne(i, pixels.AsSpan(i * plane, plane));
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
            ExceptionDispatchInfo.Throw(errors[firstError]!);
        }

        var keep = Enumerable.Range(0, count).Where(i => errors[i] is null).ToArray();
        if (keep.Length != count)
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
            ClassCount = classCount,
            Pixels = pixels,
            Labels = keep.Select(i => describe(i).Label).ToArray(),
            ImageIds = keep.Select(i => describe(i).Id).ToArray(),
            Regions = regionNames.Select((name, k) => (name, Values: keep.Select(i => regions[i][k]).ToArray()))
                .ToDictionary(t => t.name, t => t.Values),
            Skipped = Enumerable.Range(0, count).Where(i => errors[i] is not null)
                .Select(i => new SkippedImage(describe(i).Id, errors[i]!.Path, errors[i]!.Problem)).ToList(),
        };
    }
}
