using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using Chorus.Data.Isic;
using Chorus.Data.Loading;
using Chorus.Data.Regions;
using Chorus.Data.Tests.Isic;
using Chorus.Data.Transforms;

namespace Chorus.Data.Tests.Transforms;

public sealed class TransformedLoadingTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>, IDisposable
{
    private readonly IsicFixture _isic = new();

    public void Dispose() => _isic.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CubLoadSplit_CropOnSquareImages_EqualsStretch(bool useMasks)
    {
        // Given: SynthBirds images are square, so shorter-side-then-crop is the plain resize
        var ds = CubDataset.Load(fixture.Root);
        var options = new SplitLoadOptions([RoiPart.Beak, RoiPart.Wings, RoiPart.Bird, RoiPart.Parse("left eye")], Roi: new RoiOptions(UseMasks: useMasks));

        // When
        var stretched = ds.LoadSplit(CubSplit.Test, 20, options);
        var cropped = ds.LoadSplit(CubSplit.Test, 20, options with { Crop = true });

        // Then
        Assert.Equal(stretched.Pixels, cropped.Pixels);
        foreach (var (name, regions) in stretched.Regions)
        {
            for (var i = 0; i < regions.Length; i++)
            {
                Assert.Equal(regions[i]?.Mask.Values, cropped.Regions[name][i]?.Mask.Values);
                Assert.Equal(regions[i]?.Source, cropped.Regions[name][i]?.Source);
            }
        }
    }

    [Fact]
    public void CubGetRegion_Transformed_KeypointLandsInsideItsRegion()
    {
        // Given: a non-uniform resize, a crop and a rotation; keypoint discs only
        var ds = CubDataset.Load(fixture.Root);
        var size = SynthBirdsFixture.Options.ImageSize;
        var transform = GeometricTransform.Resize(size, size, 60, 40).Then(GeometricTransform.CentreCrop(60, 40, 36, 36)).Then(GeometricTransform.Affine(36, 36, 15, 1.1));
        var roi = new RoiOptions(DiscRadiusFraction: 0.05, UseMasks: false);
        var checkedParts = 0;

        foreach (var image in ds.Images.Take(10))
        {
            foreach (var id in new[] { CubParts.Beak, CubParts.LeftWing, CubParts.RightEye, CubParts.Tail })
            {
                if (image.VisiblePart(id) is not { } loc || transform.MapToPixel(loc.X, loc.Y) is not { } pixel)
                {
                    continue;
                }

                // When
                var region = ds.GetRegion(image, new RoiPart("p", [id]), transform, roi);

                // Then
                Assert.NotNull(region);
                Assert.True(region.Contains(pixel.X, pixel.Y), $"image {image.Id} part {id}: keypoint pixel {pixel} not in its region");
                checkedParts++;
            }
        }

        Assert.True(checkedParts >= 10, $"only {checkedParts} keypoints checked");
    }

    [Fact]
    public void CubGetRegion_Transformed_MaskEqualsTransformedFullSizeMask_FlipSwapsSides()
    {
        // Given
        var ds = CubDataset.Load(fixture.Root);
        var size = SynthBirdsFixture.Options.ImageSize;
        var image = ds.Images.First(i => i.VisiblePart(CubParts.LeftWing) is not null && i.VisiblePart(CubParts.RightWing) is null);
        var crop = GeometricTransform.Resize(size, size, 60, 40).Then(GeometricTransform.CentreCrop(60, 40, 30, 30));
        var flip = GeometricTransform.HorizontalFlip(size, size);
        var left = RoiPart.Parse("left wing");
        var right = RoiPart.Parse("right wing");

        // When
        var direct = ds.GetRegion(image, left, crop)!;
        var viaFullSize = crop.Apply(ds.GetRegion(image, left, size, size)!);
        var flippedRight = ds.GetRegion(image, right, flip);
        var flippedLeft = ds.GetRegion(image, left, flip);
        var mirroredLeft = flip.Apply(ds.GetRegion(image, left, size, size)!);

        // Then: after a flip the visible left wing is seen as a right wing, at the mirrored place
        Assert.Equal(viaFullSize.Mask.Values, direct.Mask.Values);
        Assert.Equal("right_wing", mirroredLeft.Part);
        Assert.NotNull(flippedRight);
        Assert.Null(flippedLeft);
        Assert.Equal(mirroredLeft.Mask.Values, flippedRight.Mask.Values);
        Assert.True(flippedRight.PixelCount > 0);
    }

    [Fact]
    public void IsicLoadSplit_Crop_KeepsTheCentreOfAWideImage()
    {
        // Given: a 16×8 image with a horizontal gradient; lesion only in the left quarter (x < 4)
        _isic.Pair(IsicSplit.Training, "0000001", 16, 8);
        var rgb = new RgbImage(16, 8);
        var mask = new GrayImage(16, 8);
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 16; x++)
            {
                rgb.Pixels[((y * 16) + x) * 3] = (byte)(x * 16);
                mask.Pixels[(y * 16) + x] = x < 4 ? (byte)255 : (byte)0;
            }
        }

        // Lossless PNG content under the .jpg name the layout requires (decoding goes by content).
        ImageIO.SavePng(Path.Combine(_isic.Root, IsicFixture.InputDir(IsicSplit.Training), "ISIC_0000001.jpg"), rgb);
        ImageIO.SavePng(Path.Combine(_isic.Root, IsicFixture.TruthDir(IsicSplit.Training), "ISIC_0000001_segmentation.png"), mask);
        var ds = IsicDataset.Load(_isic.Root);

        // When
        var stretched = ds.LoadSplit(IsicSplit.Training, 4);
        var cropped = ds.LoadSplit(IsicSplit.Training, 4, new SplitLoadOptions(Crop: true));

        // Then: the crop is the centred 8×8 window (resized to 4×4), outside the lesion quarter
        var expected = new float[3 * 4 * 4];
        GeometricTransform.ResizeShorterSideThenCentreCrop(16, 8, 4).ApplyToPlanar(rgb, expected);
        Assert.Equal(expected, cropped.Pixels);
        Assert.NotEqual(stretched.Pixels, cropped.Pixels);
        Assert.Equal(4, stretched.Regions[IsicDataset.LesionRegion][0]!.PixelCount);
        Assert.Equal(0, cropped.Regions[IsicDataset.LesionRegion][0]!.PixelCount);
    }
}
