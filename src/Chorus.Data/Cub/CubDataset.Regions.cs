using Chorus.Data.Imaging;
using Chorus.Data.Regions;
using Chorus.Explanations;

namespace Chorus.Data.Cub;

public sealed partial class CubDataset
{
    /// <summary>
    /// The region of <paramref name="part"/> on <paramref name="image"/> at <paramref name="width"/>×<paramref name="height"/>,
    /// aligned with the image resized (without crop) to that size. Each visible constituent part contributes its
    /// mask (nearest-neighbour resize) when <c>part_masks/</c> has one, else a disc around its keypoint whose
    /// membership is tested at output pixel centres mapped back to the original image (so the disc becomes an
    /// ellipse under non-uniform resize, exactly like the image). A part that is visible but would vanish at the
    /// output size keeps the one output pixel containing its keypoint.
    /// </summary>
    /// <param name="image">An image of this dataset.</param>
    /// <param name="part">The region to build.</param>
    /// <param name="width">Output width.</param>
    /// <param name="height">Output height.</param>
    /// <param name="options">Options; default <c>new RoiOptions()</c>.</param>
    /// <param name="sourceSize">The original image size if known (saves reading the image header).</param>
    /// <returns>The region, or null when none of its parts is visible (callers should exclude and count such images).</returns>
    /// <exception cref="ImageDataException">A mask or the image header cannot be read.</exception>
    public RegionOfInterest? GetRegion(CubImage image, RoiPart part, int width, int height, RoiOptions? options = null, (int Width, int Height)? sourceSize = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(part);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        options ??= new RoiOptions();
        options.Validate();
        var values = new float[width * height];
        var source = RoiSource.None;
        (int Width, int Height) Size() => sourceSize ??= ImageIO.ReadSize(image.FullPath);

        if (part.WholeBird)
        {
            if (options.UseMasks && SegmentationPath(image) is { } seg)
            {
                var mask = ImageResize.Nearest(ImageIO.LoadMask(seg), width, height);
                Or(values, mask);
                source = RoiSource.Mask;
            }
            else if (image.Box is { } box)
            {
                var (w, h) = Size();
                RegionRaster.Fill(values, width, height, w, h, (x, y) => x >= box.X && x < box.X + box.Width && y >= box.Y && y < box.Y + box.Height);
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
            if (image.VisiblePart(id) is not { } loc)
            {
                continue;
            }

            var before = values.Count(v => v != 0);
            int sw, sh;
            GrayImage? original = options.UseMasks && PartMaskPath(image, id) is { } maskPath ? ImageIO.LoadMask(maskPath) : null;
            if (original is not null && original.CountNonZero() > 0)
            {
                (sw, sh) = (original.Width, original.Height);
                Or(values, ImageResize.Nearest(original, width, height));
                source |= RoiSource.Mask;
            }
            else
            {
                (sw, sh) = Size();
                var extent = image.Box is { } b ? Math.Max(b.Width, b.Height) : Math.Max(sw, sh);
                var r = options.DiscRadiusFraction * extent;
                RegionRaster.Paint(values, width, height, sw, sh, (x, y) => options.KeypointValue(x, y, loc.X, loc.Y, r));
                source |= RoiSource.Keypoint;
            }

            if (values.Count(v => v != 0) == before)
            {
                // Too small to survive the resize: keep the output pixel that contains the keypoint.
                var u = Math.Clamp((int)Math.Floor(loc.X * width / sw), 0, width - 1);
                var v = Math.Clamp((int)Math.Floor(loc.Y * height / sh), 0, height - 1);
                values[(v * width) + u] = 1f;
            }
        }

        return source == RoiSource.None ? null : new RegionOfInterest(image.Id, part.Name, new SaliencyMap(height, width, values), source);
    }

    private static void Or(float[] values, GrayImage mask)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (mask.Pixels[i] != 0)
            {
                values[i] = 1f;
            }
        }
    }
}
