using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using Chorus.Data.Regions;
using Chorus.Data.Transforms;
using Chorus.Explanations;

namespace Chorus.Data.Tests.Transforms;

public class GeometricTransformTests
{
    public static TheoryData<string, int, int, int, int> BilinearCases => new()
    {
        // name, source width, source height, bright pixel x, y
        { "resize-up-x3", 10, 8, 4, 5 },
        { "resize-up-x2.5", 20, 20, 7, 7 },
        { "crop", 20, 16, 8, 7 },
        { "shorter-side-crop", 30, 20, 12, 9 },
        { "flip", 11, 7, 2, 3 },
        { "rotate-90", 12, 12, 2, 3 },
        { "scale-shift", 20, 20, 9, 11 },
        { "flip-resize-crop", 16, 12, 3, 8 },
    };

    public static TheoryData<string, int, int, int, int> NearestCases => new()
    {
        { "resize-down-x3", 30, 30, 13, 22 },
        { "rotate-17-scale-1.5", 24, 24, 9, 14 },
        { "rotate-minus-33-scale-2", 20, 16, 12, 5 },
        { "flip-rotate-resize", 18, 18, 4, 11 },
    };

    [Fact]
    public void Resize_ToPlanar_EqualsImageResizeBitForBit()
    {
        // Given
        var rgb = RandomImage(37, 23, seed: 3);
        var expected = new float[3 * 16 * 20];
        var actual = new float[3 * 16 * 20];

        // When
        ImageResize.BilinearToPlanar(rgb, 16, 20, expected);
        GeometricTransform.Resize(37, 23, 16, 20).ApplyToPlanar(rgb, actual);

        // Then
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(BilinearCases))]
    public void ApplyBilinear_SingleBrightPixel_LandsOnPredictedPixel(string name, int width, int height, int px, int py)
    {
        // Given
        var transform = Build(name, width, height);
        var image = new RgbImage(width, height);
        image.Pixels[((py * width) + px) * 3] = 255;

        // When
        var output = transform.Apply(image);
        var predicted = transform.MapPixel(px, py);

        // Then
        Assert.NotNull(predicted);
        var (bx, by) = Brightest(output.Width, output.Height, i => output.Pixels[i * 3]);
        Assert.Equal(predicted.Value, (bx, by));
    }

    [Theory]
    [MemberData(nameof(NearestCases))]
    public void ApplyNearest_SinglePixelMask_LandsOnPredictedPixel(string name, int width, int height, int px, int py)
    {
        // Given
        var transform = Build(name, width, height);
        var mask = new GrayImage(width, height);
        mask.Pixels[(py * width) + px] = 255;

        // When
        var output = transform.ApplyNearest(mask);
        var predicted = transform.MapPixel(px, py);

        // Then
        Assert.NotNull(predicted);
        Assert.True(output.IsInside(predicted.Value.X, predicted.Value.Y), $"{name}: predicted pixel {predicted} is not set");
    }

    [Fact]
    public void ApplyNearest_RotatedBinaryMask_StaysBinary()
    {
        // Given: a random blob mask with 0/255 values
        var rng = new Random(5);
        var mask = new GrayImage(40, 30);
        for (var i = 0; i < mask.Pixels.Length; i++)
        {
            mask.Pixels[i] = rng.NextDouble() < 0.3 ? (byte)255 : (byte)0;
        }

        var transform = GeometricTransform.Resize(40, 30, 25, 25).Then(GeometricTransform.Affine(25, 25, 23, 0.9, 1.5, -2));
        var region = new RegionOfInterest(1, "beak", new SaliencyMap(30, 40, [.. mask.Pixels.Select(p => p != 0 ? 1f : 0f)]), RoiSource.Mask);

        // When
        var gray = transform.ApplyNearest(mask);
        var roi = transform.Apply(region);

        // Then
        Assert.All(gray.Pixels, p => Assert.True(p is 0 or 255, $"value {p}"));
        Assert.All(roi.Mask.Values, v => Assert.True(v is 0f or 1f, $"value {v}"));
        Assert.InRange(roi.PixelCount, 1, (25 * 25) - 1);
        Assert.Equal(gray.CountNonZero(), roi.PixelCount);
    }

    [Fact]
    public void HorizontalFlip_SwapsLeftAndRightParts()
    {
        // Given
        var flip = GeometricTransform.HorizontalFlip(10, 10);
        var resize = GeometricTransform.Resize(10, 10, 5, 5);

        // When / Then
        Assert.True(flip.Mirrored);
        Assert.Equal(CubParts.RightWing, flip.MapPartId(CubParts.LeftWing));
        Assert.Equal(CubParts.LeftWing, flip.MapPartId(CubParts.RightWing));
        Assert.Equal(CubParts.RightEye, flip.MapPartId(CubParts.LeftEye));
        Assert.Equal(CubParts.LeftLeg, flip.MapPartId(CubParts.RightLeg));
        Assert.Equal(CubParts.Beak, flip.MapPartId(CubParts.Beak));
        Assert.Equal("right wing", flip.MapPartName("left wing"));
        Assert.Equal("left_eye", flip.MapPartName("right_eye"));
        Assert.Equal("Right leg", flip.MapPartName("Left leg"));
        Assert.Equal("wings", flip.MapPartName("wings"));
        Assert.Equal("leftover", flip.MapPartName("leftover"));
        Assert.Equal(CubParts.LeftWing, resize.MapPartId(CubParts.LeftWing));
        Assert.False(flip.Then(GeometricTransform.HorizontalFlip(10, 10)).Mirrored);
        Assert.True(flip.Then(resize).Mirrored);
    }

    [Fact]
    public void ApplyRegion_Flip_MirrorsMaskAndRenamesPart()
    {
        // Given: the left wing covers the left column
        var values = new float[4 * 3];
        values[0] = values[4] = values[8] = 1f;
        var region = new RegionOfInterest(7, "left wing", new SaliencyMap(3, 4, values), RoiSource.Mask);

        // When
        var flipped = GeometricTransform.HorizontalFlip(4, 3).Apply(region);

        // Then
        Assert.Equal("right wing", flipped.Part);
        Assert.Equal(7, flipped.ImageId);
        Assert.True(flipped.Contains(3, 0) && flipped.Contains(3, 1) && flipped.Contains(3, 2));
        Assert.Equal(3, flipped.PixelCount);
    }

    [Fact]
    public void Affine_InverseUndoesForward()
    {
        // Given
        var t = GeometricTransform.Affine(31, 17, -12.5, 1.2, 3, -4).Then(GeometricTransform.HorizontalFlip(31, 17));

        // When
        var (x, y) = t.MapPoint(5.25, 9.75);
        var (bx, by) = t.Inverse.Apply(x, y);

        // Then
        Assert.Equal(5.25, bx, 9);
        Assert.Equal(9.75, by, 9);
        Assert.True(t.Forward.Determinant < 0);
    }

    [Fact]
    public void CentreCrop_TooLarge_Throws()
    {
        Assert.Throws<ArgumentException>(() => GeometricTransform.CentreCrop(10, 10, 11, 5));
        Assert.Throws<ArgumentException>(() => GeometricTransform.Resize(10, 10, 5, 5).Then(GeometricTransform.HorizontalFlip(6, 5)));
    }

    private static GeometricTransform Build(string name, int w, int h) => name switch
    {
        "resize-up-x3" => GeometricTransform.Resize(w, h, w * 3, h * 3),
        "resize-up-x2.5" => GeometricTransform.Resize(w, h, 50, 50),
        "crop" => GeometricTransform.CentreCrop(w, h, 10, 10),
        "shorter-side-crop" => GeometricTransform.ResizeShorterSideThenCentreCrop(w, h, 30),
        "flip" => GeometricTransform.HorizontalFlip(w, h),
        "rotate-90" => GeometricTransform.Affine(w, h, 90),
        "scale-shift" => GeometricTransform.Affine(w, h, 0, 1.7, 2.3, -1.2),
        "flip-resize-crop" => GeometricTransform.HorizontalFlip(w, h).Then(GeometricTransform.Resize(w, h, 39, 29)).Then(GeometricTransform.CentreCrop(39, 29, 25, 25)),
        "resize-down-x3" => GeometricTransform.Resize(w, h, w / 3, h / 3),
        "rotate-17-scale-1.5" => GeometricTransform.Affine(w, h, 17, 1.5, 1, 2),
        "rotate-minus-33-scale-2" => GeometricTransform.Affine(w, h, -33, 2, -3, 1),
        "flip-rotate-resize" => GeometricTransform.HorizontalFlip(w, h).Then(GeometricTransform.Affine(w, h, 40, 1.5)).Then(GeometricTransform.Resize(w, h, 27, 27)),
        _ => throw new ArgumentException(name),
    };

    private static (int X, int Y) Brightest(int width, int height, Func<int, byte> value)
    {
        var best = 0;
        for (var i = 1; i < width * height; i++)
        {
            if (value(i) > value(best))
            {
                best = i;
            }
        }

        Assert.True(value(best) > 0, "the bright pixel vanished");
        return (best % width, best / width);
    }

    private static RgbImage RandomImage(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var image = new RgbImage(width, height);
        rng.NextBytes(image.Pixels);
        return image;
    }
}
