using Chorus.Data.Imaging;
using Chorus.Data.Regions;
using Chorus.Data.Transforms;
using Chorus.Explanations;

namespace Chorus.Data.Cub;

public sealed partial class CubDataset
{
    /// <summary>
    /// The region of <paramref name="part"/> on <paramref name="image"/> after <paramref name="transform"/> (whose source
    /// must be the image's size), aligned with the image transformed the same way: masks are mapped with nearest neighbour
    /// (<see cref="GeometricTransform.ApplyNearest"/>), keypoint discs are tested at output pixel centres mapped back to
    /// the original image, and a visible part that would vanish keeps the output pixel its keypoint lands on
    /// (<see cref="GeometricTransform.MapToPixel"/>; none when the keypoint is cropped away). When the transform is
    /// <see cref="GeometricTransform.Mirrored"/>, the region of a left part is built from the bird's right part and vice versa.
    /// </summary>
    /// <param name="image">An image of this dataset.</param>
    /// <param name="part">The region to build.</param>
    /// <param name="transform">The geometry from the original image to the output.</param>
    /// <param name="options">Options; default <c>new RoiOptions()</c>.</param>
    /// <returns>The region, or null when none of its parts is visible.</returns>
    /// <exception cref="ImageDataException">A mask cannot be read.</exception>
    public RegionOfInterest? GetRegion(CubImage image, RoiPart part, GeometricTransform transform, RoiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(part);
        ArgumentNullException.ThrowIfNull(transform);
        options ??= new RoiOptions();
        options.Validate();
        var (width, height) = (transform.Width, transform.Height);
        var values = new float[width * height];
        var source = RoiSource.None;

        // A mask of another size than the image is first stretched onto the image, as the untransformed path does.
        GrayImage Map(GrayImage mask) => (mask.Width == transform.SourceWidth && mask.Height == transform.SourceHeight
            ? transform
            : GeometricTransform.Resize(mask.Width, mask.Height, transform.SourceWidth, transform.SourceHeight).Then(transform)).ApplyNearest(mask);

        if (part.WholeBird)
        {
            if (options.UseMasks && SegmentationPath(image) is { } seg)
            {
                Or(values, Map(ImageIO.LoadMask(seg)));
                source = RoiSource.Mask;
            }
            else if (image.Box is { } box)
            {
                RegionRaster.Fill(values, transform.Width, transform.Height, transform.Inverse.Apply, (x, y) => x >= box.X && x < box.X + box.Width && y >= box.Y && y < box.Y + box.Height);
                source = RoiSource.Box;
            }
            else
            {
                return null;
            }

            return new RegionOfInterest(image.Id, part.Name, new SaliencyMap(height, width, values), source);
        }

        foreach (var id in part.PartIds)
        {
            var sourceId = transform.MapPartId(id);
            if (image.VisiblePart(sourceId) is not { } loc)
            {
                continue;
            }

            var before = values.Count(v => v != 0);
            GrayImage? original = options.UseMasks && PartMaskPath(image, sourceId) is { } maskPath ? ImageIO.LoadMask(maskPath) : null;
            if (original is not null && original.CountNonZero() > 0)
            {
                Or(values, Map(original));
                source |= RoiSource.Mask;
            }
            else
            {
                var extent = image.Box is { } b ? Math.Max(b.Width, b.Height) : Math.Max(transform.SourceWidth, transform.SourceHeight);
                var r = options.DiscRadiusFraction * extent;
                RegionRaster.Paint(values, transform.Width, transform.Height, transform.Inverse.Apply, (x, y) => options.KeypointValue(x, y, loc.X, loc.Y, r));
                source |= RoiSource.Keypoint;
            }

            if (values.Count(v => v != 0) == before && transform.MapToPixel(loc.X, loc.Y) is { } p)
            {
                // Too small to survive: keep the output pixel the keypoint lands on.
                values[(p.Y * width) + p.X] = 1f;
            }
        }

        return source == RoiSource.None ? null : new RegionOfInterest(image.Id, part.Name, new SaliencyMap(height, width, values), source);
    }
}
