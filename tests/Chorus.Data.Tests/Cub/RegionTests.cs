using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using Chorus.Data.Regions;
using Chorus.Data.Synthetic;

namespace Chorus.Data.Tests.Cub;

public class RegionTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>
{
    [Theory]
    [InlineData(48)]
    [InlineData(96)]
    [InlineData(32)]
    public void GetRegion_Beak_IsResizedPartMask(int size)
    {
        var ds = CubDataset.Load(fixture.Root);
        foreach (var image in ds.Images.Take(10))
        {
            // When
            var roi = ds.GetRegion(image, RoiPart.Beak, size, size);

            // Then
            Assert.NotNull(roi);
            Assert.Equal(RoiSource.Mask, roi.Source);
            Assert.Equal((size, size), (roi.Width, roi.Height));
            var mask = ImageIO.LoadMask(ds.PartMaskPath(image, CubParts.Beak)!);
            var expected = ImageResize.Nearest(mask, size, size);
            if (expected.CountNonZero() > 0)
            {
                Assert.Equal(expected.Pixels.Select(p => p != 0 ? 1f : 0f), roi.Mask.Values);
            }

            Assert.True(roi.PixelCount > 0);
            var kp = image.Parts[CubParts.Beak];
            if (size >= 48)
            {
                Assert.True(roi.Contains((int)(kp.X * size / 48), (int)(kp.Y * size / 48)), "keypoint pixel outside the beak region");
            }
        }
    }

    [Fact]
    public void GetRegion_Wings_IsTheVisibleWingMask()
    {
        var ds = CubDataset.Load(fixture.Root);
        var options = SynthBirdsFixture.Options;
        for (var i = 0; i < 10; i++)
        {
            var roi = ds.GetRegion(ds.Images[i], RoiPart.Wings, 48, 48)!;
            var expected = SynthBirds.Render(options, i).Mask(BirdLabel.Wing);
            Assert.Equal(expected.Pixels.Select(p => p != 0 ? 1f : 0f), roi.Mask.Values);
        }
    }

    [Fact]
    public void GetRegion_NoMasks_DiscAroundKeypoint_WithBoxRelativeRadius()
    {
        var ds = CubDataset.Load(fixture.Root);
        var image = ds.Images[3];
        var kp = image.Parts[CubParts.Beak];
        var box = image.Box!.Value;
        var options = new RoiOptions(DiscRadiusFraction: 0.1, UseMasks: false);

        // When: at the original size and at twice the size
        var roi = ds.GetRegion(image, RoiPart.Beak, 48, 48, options)!;
        var big = ds.GetRegion(image, RoiPart.Beak, 96, 96, options)!;

        // Then
        Assert.Equal(RoiSource.Keypoint, roi.Source);
        var r = 0.1 * Math.Max(box.Width, box.Height);
        for (var y = 0; y < 48; y++)
        {
            for (var x = 0; x < 48; x++)
            {
                var d = Math.Sqrt(Math.Pow(x + 0.5 - kp.X, 2) + Math.Pow(y + 0.5 - kp.Y, 2));
                Assert.Equal(d <= r, roi.Contains(x, y));
            }
        }

        Assert.True(big.Contains((int)(kp.X * 2), (int)(kp.Y * 2)));
        Assert.InRange(big.PixelCount, 4 * roi.PixelCount * 0.8, 4 * roi.PixelCount * 1.2);
    }

    [Fact]
    public void GetRegion_GaussianShape_SoftValuesAroundKeypoint_CutAtThreeSigma()
    {
        var ds = CubDataset.Load(fixture.Root);
        var image = ds.Images[3];
        var kp = image.Parts[CubParts.Beak];
        var box = image.Box!.Value;
        var options = new RoiOptions(DiscRadiusFraction: 0.1, UseMasks: false, Shape: RoiShape.Gaussian);

        // When
        var roi = ds.GetRegion(image, RoiPart.Beak, 48, 48, options)!;

        // Then: exp(-d²/2σ²) with σ = 0.1 × max(box side), zero beyond 3σ; its ≥ 0.5 part is the disc of radius 1.18σ
        Assert.Equal(RoiSource.Keypoint, roi.Source);
        var sigma = 0.1 * Math.Max(box.Width, box.Height);
        for (var y = 0; y < 48; y++)
        {
            for (var x = 0; x < 48; x++)
            {
                var d2 = Math.Pow(x + 0.5 - kp.X, 2) + Math.Pow(y + 0.5 - kp.Y, 2);
                var expected = d2 > 9 * sigma * sigma ? 0 : Math.Exp(-d2 / (2 * sigma * sigma));
                Assert.Equal(expected, roi.Mask[y, x], 5);
            }
        }

        var peak = roi.Mask.Values.Max();
        Assert.Equal(roi.Mask[(int)kp.Y, (int)kp.X], peak);
        Assert.True(peak > 0.9f);
    }

    [Fact]
    public void RoiOptions_KeypointValue_DiscIsBinary_GaussianHalfAtExpectedRadius()
    {
        var disc = new RoiOptions(Shape: RoiShape.Disc);
        var gauss = new RoiOptions(Shape: RoiShape.Gaussian);

        Assert.Equal(1f, disc.KeypointValue(3, 4, 0, 0, 5));
        Assert.Equal(0f, disc.KeypointValue(3, 4.01, 0, 0, 5));
        Assert.Equal(0.5, gauss.KeypointValue(5 * Math.Sqrt(2 * Math.Log(2)), 0, 0, 0, 5), 5);
        Assert.Equal(0f, gauss.KeypointValue(15.01, 0, 0, 0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoiOptions(Shape: (RoiShape)7).Validate());
    }

    [Fact]
    public void GetRegion_PartNotVisible_ReturnsNull_AndHiddenWingIsSkipped()
    {
        // Given: a copy where image 1's beak and both wings are marked invisible
        var root = fixture.Copy();
        var locs = Path.Combine(root, "parts", "part_locs.txt");
        File.WriteAllLines(locs, File.ReadAllLines(locs).Select(l =>
            l.StartsWith("1 2 ", StringComparison.Ordinal) || l.StartsWith("1 9 ", StringComparison.Ordinal) || l.StartsWith("1 13 ", StringComparison.Ordinal)
                ? string.Join(' ', l.Split(' ')[..2]) + " 0.0 0.0 0"
                : l));
        var ds = CubDataset.Load(root);

        // Then
        Assert.Null(ds.GetRegion(ds.Images[0], RoiPart.Beak, 48, 48));
        Assert.Null(ds.GetRegion(ds.Images[0], RoiPart.Wings, 48, 48));
        Assert.NotNull(ds.GetRegion(ds.Images[1], RoiPart.Wings, 48, 48));
        Assert.NotNull(ds.GetRegion(ds.Images[0], RoiPart.Bird, 48, 48));
    }

    [Fact]
    public void GetRegion_TinyOutput_KeepsKeypointPixel()
    {
        var ds = CubDataset.Load(fixture.Root);
        foreach (var image in ds.Images.Take(10))
        {
            var roi = ds.GetRegion(image, RoiPart.Parse("left eye"), 8, 8);
            if (image.Parts[CubParts.LeftEye].Visible)
            {
                Assert.NotNull(roi);
                Assert.True(roi.PixelCount >= 1);
            }
            else
            {
                Assert.Null(roi);
            }
        }
    }

    [Theory]
    [InlineData("beak", new[] { 2 })]
    [InlineData("Wings", new[] { 9, 13 })]
    [InlineData("left wing", new[] { 9 })]
    [InlineData("right_leg", new[] { 12 })]
    public void RoiPart_Parse_KnownNames(string name, int[] ids)
    {
        Assert.Equal(ids, RoiPart.Parse(name).PartIds);
    }

    [Fact]
    public void RoiPart_Parse_Unknown_Throws()
    {
        Assert.Throws<ArgumentException>(() => RoiPart.Parse("tentacle"));
    }
}
