using Chorus.Data.Imaging;
using Chorus.Data.Loading;
using Chorus.Data.Regions;
using Chorus.Data.Transforms;
using Chorus.Explanations;

namespace Chorus.Data.Folders;

public sealed partial class FolderDataset
{
    /// <summary>
    /// Decodes the images of <paramref name="split"/> in parallel, resizes them (bilinear) to
    /// <paramref name="size"/>×<paramref name="size"/> — or, with <see cref="SplitLoadOptions.Crop"/>, resizes the shorter
    /// side to S and keeps the centred square — and builds the requested regions with the same geometry (see the two
    /// <c>GetRegion</c> overloads). The result is independent of the number of threads.
    /// </summary>
    /// <param name="split">Train, test or all images.</param>
    /// <param name="size">Side S of the output images.</param>
    /// <param name="options">Options. <see cref="SplitLoadOptions.Parts"/> selects regions by <see cref="RoiPart.Name"/>
    /// (e.g. <c>new RoiPart("mask", [])</c>; part ids are ignored); null (default) builds every name of <see cref="RegionNames"/>,
    /// an empty list none.</param>
    /// <param name="progress">Receives the number of images processed so far.</param>
    /// <param name="cancellationToken">Stops between images.</param>
    /// <exception cref="ChorusException">The split has no images.</exception>
    /// <exception cref="ArgumentException">A requested region is not one of <see cref="RegionNames"/>.</exception>
    /// <exception cref="ImageDataException">An image or mask cannot be read, or a mask is not binary or not of its image's
    /// size, and <see cref="SplitLoadOptions.SkipCorrupt"/> is false.</exception>
    public LoadedSplit LoadSplit(
        FolderSplit split,
        int size,
        SplitLoadOptions? options = null,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        options ??= new SplitLoadOptions();
        var roiOptions = options.Roi ?? new RoiOptions();
        roiOptions.Validate();
        var names = options.Parts?.Select(p => p.Name).ToList() ?? [.. RegionNames];
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new ArgumentException("Requested regions must have distinct names.", nameof(options));
        }

        if (names.FirstOrDefault(n => !RegionNames.Contains(n)) is { } unknown)
        {
            var known = RegionNames.Count == 0 ? "none (no masks/ and no regions.csv)" : string.Join(", ", RegionNames);
            throw new ArgumentException($"Folder dataset '{Root}' has no region '{unknown}'; its regions: {known}.", nameof(options));
        }

        var images = Split(split);
        if (images.Count == 0)
        {
            throw new ChorusException($"Folder dataset '{Root}': the {split.ToString().ToLowerInvariant()} split has no images" +
                (HasSplitFile ? $" (see {SplitFile})." : " (check TestFraction and the number of images per class)."));
        }

        return SplitLoader.Load(
            images.Count,
            size,
            Classes.Count,
            names,
            i => new SplitLoader.Item(images[i].Id, images[i].ClassIndex),
            (i, destination) =>
            {
                var image = images[i];
                var rgb = ImageIO.LoadRgb(image.FullPath);
                return SplitLoader.Resize(rgb, size, options.Crop, destination) is { } crop
                    ? [.. names.Select(name => GetRegion(image, name, crop, roiOptions))]
                    : [.. names.Select(name => GetRegion(image, name, size, size, roiOptions))];
            },
            options,
            progress,
            cancellationToken);
    }

    /// <summary>
    /// The region <paramref name="name"/> of <paramref name="image"/> at <paramref name="width"/>×<paramref name="height"/>,
    /// aligned with the image resized (without crop) to that size:
    /// <list type="bullet">
    /// <item><see cref="MaskRegion"/>: the mask resized with nearest neighbour (<see cref="ImageResize.Nearest"/>);</item>
    /// <item>a <c>regions.csv</c> name: the union of its rows. A point is a disc of radius
    /// <see cref="RoiOptions.DiscRadiusFraction"/> × max(image width, height), a box the rectangle; membership is tested at
    /// output pixel centres mapped back to the original image (a disc becomes an ellipse under non-uniform resize,
    /// exactly like the image). A point or box too small to cover any output pixel centre keeps the one output pixel
    /// containing the keypoint (the box centre).</item>
    /// </list>
    /// </summary>
    /// <returns>The region, or null when the image has no such mask or rows.</returns>
    /// <exception cref="ImageDataException">The mask cannot be read, is not binary or is not of the image's size.</exception>
    public RegionOfInterest? GetRegion(FolderImage image, string name, int width, int height, RoiOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(image);
        var sx = (double)image.Width / width;
        var sy = (double)image.Height / height;
        return Region(image, name, width, height, mask => ImageResize.Nearest(mask, width, height), (u, v) => (u * sx, v * sy), (x, y) =>
            (Math.Clamp((int)Math.Floor(x * width / image.Width), 0, width - 1), Math.Clamp((int)Math.Floor(y * height / image.Height), 0, height - 1)), options);
    }

    /// <summary>
    /// The region <paramref name="name"/> of <paramref name="image"/> after <paramref name="transform"/> (e.g.
    /// <see cref="GeometricTransform.ResizeShorterSideThenCentreCrop"/>), aligned with the image transformed the same way:
    /// the mask mapped with nearest neighbour, points and boxes rasterised at output pixel centres mapped back through
    /// the transform (a point's radius is relative to the original image's longer side, as without a transform).
    /// </summary>
    /// <returns>The region, or null when the image has no such mask or rows (or they fall outside the output).</returns>
    /// <exception cref="ImageDataException">The mask cannot be read, is not binary or is not of the image's size.</exception>
    public RegionOfInterest? GetRegion(FolderImage image, string name, GeometricTransform transform, RoiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return Region(image, name, transform.Width, transform.Height, transform.ApplyNearest, transform.Inverse.Apply, transform.MapToPixel, options);
    }

    /// <summary>Both <c>GetRegion</c> overloads: the mask mapped by <paramref name="mapMask"/>, or the rows rasterised (<see cref="PaintRows"/>).</summary>
    private RegionOfInterest? Region(
        FolderImage image, string name, int width, int height, Func<GrayImage, GrayImage> mapMask,
        Func<double, double, (double X, double Y)> toSource, Func<double, double, (int X, int Y)?> toPixel, RoiOptions? options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(name);
        options ??= new RoiOptions();
        options.Validate();
        var values = new float[width * height];
        if (name == MaskRegion)
        {
            if (image.MaskPath is not { } path)
            {
                return null;
            }

            var mask = LoadBinaryMask(path);
            if (mask.Width != image.Width || mask.Height != image.Height)
            {
                throw new ImageDataException(path, $"mask is {mask.Width}×{mask.Height} but its image {image.RelativePath} is {image.Width}×{image.Height}");
            }

            var small = mapMask(mask);
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = small.Pixels[i] != 0 ? 1f : 0f;
            }

            return new RegionOfInterest(image.Id, name, new SaliencyMap(height, width, values), RoiSource.Mask);
        }

        var source = PaintRows(image, name, values, width, height, toSource, toPixel, options);
        return source == RoiSource.None ? null : new RegionOfInterest(image.Id, name, new SaliencyMap(height, width, values), source);
    }

    /// <summary>
    /// Rasterises the <c>regions.csv</c> rows named <paramref name="name"/> onto <paramref name="values"/>: a point is a
    /// disc (or Gaussian) of radius <see cref="RoiOptions.DiscRadiusFraction"/> × the image's longer side, a box the
    /// rectangle, tested at output pixel centres mapped back by <paramref name="toSource"/>. A row too small to cover any
    /// output pixel centre keeps the output pixel <paramref name="toPixel"/> puts its keypoint (box centre) on, if any.
    /// </summary>
    private static RoiSource PaintRows(
        FolderImage image, string name, float[] values, int width, int height,
        Func<double, double, (double X, double Y)> toSource, Func<double, double, (int X, int Y)?> toPixel, RoiOptions options)
    {
        var source = RoiSource.None;
        foreach (var row in image.Regions.Where(r => r.Name == name))
        {
            var before = values.Count(v => v != 0);
            double cx, cy;
            if (row.Kind == FolderRegionKind.Point)
            {
                var r = options.DiscRadiusFraction * Math.Max(image.Width, image.Height);
                RegionRaster.Paint(values, width, height, toSource, (x, y) => options.KeypointValue(x, y, row.X, row.Y, r));
                (cx, cy) = (row.X, row.Y);
                source |= RoiSource.Keypoint;
            }
            else
            {
                RegionRaster.Fill(values, width, height, toSource, (x, y) => x >= row.X && x < row.X + row.Width && y >= row.Y && y < row.Y + row.Height);
                (cx, cy) = (row.X + (row.Width / 2.0), row.Y + (row.Height / 2.0));
                source |= RoiSource.Box;
            }

            if (values.Count(v => v != 0) == before && toPixel(cx, cy) is { } p)
            {
                // Too small to survive the resize: keep the output pixel that contains the keypoint (box centre).
                values[(p.Y * width) + p.X] = 1f;
            }
        }

        return source;
    }
}
