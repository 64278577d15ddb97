using Chorus.Data.Folders;
using Chorus.Data.Imaging;
using Chorus.Data.Loading;
using Chorus.Data.Regions;
using SkiaSharp;

namespace Chorus.Data.Tests.Folders;

public class FolderLoadSplitTests
{
    [Fact]
    public void LoadSplit_Crop_KeepsTheCentredSquare_AndRegionsFollow()
    {
        // Given a 96×48 image whose centre square (x 24..72) is red and whose margins are grey, a mask of that square,
        // a box covering it exactly, and a keypoint at its centre
        using var f = new FolderFixture(standard: false);
        var image = new RgbImage(96, 48);
        for (var y = 0; y < 48; y++)
        {
            for (var x = 0; x < 96; x++)
            {
                var i = ((y * 96) + x) * 3;
                (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]) = x is >= 24 and < 72 ? ((byte)200, (byte)0, (byte)0) : ((byte)128, (byte)128, (byte)128);
            }
        }

        Directory.CreateDirectory(f.P("bird"));
        ImageIO.SavePng(f.P("bird/wide.png"), image);
        f.Mask("masks/bird/wide.png", 96, 48, (x, _) => x is >= 24 and < 72 ? (byte)255 : (byte)0);
        f.Text("regions.csv", "image,region,kind,x,y,w,h", "bird/wide.png,square,box,24,0,48,48", "bird/wide.png,centre,point,48,24");
        var ds = FolderDataset.Load(f.Root);

        // When: cropped to 24×24 (shorter side 48 → 24, then the centred square), and stretched for contrast
        var cropped = ds.LoadSplit(FolderSplit.All, 24, new SplitLoadOptions(Crop: true));
        var stretched = ds.LoadSplit(FolderSplit.All, 24);

        // Then: only the red square is left, and mask and box cover the whole output; stretched, they cover the middle half
        Assert.All(Enumerable.Range(0, 24 * 24), i => Assert.Equal(200 / 255f, cropped.Image(0).Span[i], 1e-6f));
        Assert.Equal(24 * 24, cropped.Regions["mask"][0]!.PixelCount);
        Assert.Equal(24 * 24, cropped.Regions["square"][0]!.PixelCount);
        Assert.Equal(12 * 24, stretched.Regions["mask"][0]!.PixelCount);
        Assert.Equal(12 * 24, stretched.Regions["square"][0]!.PixelCount);

        // and the keypoint disc is centred in the crop (radius 0.1 × 96 px source = 4.8 px source = 2.4 px output)
        var centre = cropped.Regions["centre"][0]!;
        Assert.True(centre.Contains(11, 11) && centre.Contains(12, 12));
        Assert.False(centre.Contains(0, 0) || centre.Contains(23, 23));
        Assert.Equal(RoiSource.Keypoint, centre.Source);
    }

    [Fact]
    public void LoadSplit_All_PixelsLabelsIdsAndEveryRegion()
    {
        // Given
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);

        // When
        var split = ds.LoadSplit(FolderSplit.All, 20);

        // Then
        Assert.Equal(6, split.Count);
        Assert.Equal(2, split.ClassCount);
        Assert.Equal([0, 0, 0, 1, 1, 1], split.Labels);
        Assert.Equal([1, 2, 3, 4, 5, 6], split.ImageIds);
        Assert.Equal(["body", "head", "mask"], split.Regions.Keys.Order(StringComparer.Ordinal));
        var expected = new float[3 * 20 * 20];
        ImageResize.BilinearToPlanar(ImageIO.LoadRgb(f.P("cat/a.png")), 20, 20, expected);
        Assert.Equal(expected, split.Image(0).ToArray());
        Assert.Equal(200 / 255f, split.Image(0).Span[0], 1e-6f);

        // mask: cat/a is 0/255 on the left half, dog/d is 0/1 on the top half; others have none
        var catMask = split.Regions["mask"][0]!;
        Assert.Equal(RoiSource.Mask, catMask.Source);
        Assert.True(catMask.Contains(9, 19) && !catMask.Contains(10, 0));
        var dogMask = split.Regions["mask"][3]!;
        Assert.True(dogMask.Contains(19, 9) && !dogMask.Contains(0, 10));
        Assert.Equal(200, dogMask.PixelCount);
        Assert.Equal([true, false, false, true, false, false], split.Regions["mask"].Select(r => r is not null));
        Assert.Equal([true, false, false, true, false, false], split.Regions["head"].Select(r => r is not null));
        Assert.Equal([true, false, false, false, false, false], split.Regions["body"].Select(r => r is not null));
        Assert.Equal(RoiSource.Box, split.Regions["body"][0]!.Source);
        Assert.Equal(RoiSource.Keypoint, split.Regions["head"][3]!.Source);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(40)]
    [InlineData(57)]
    [InlineData(224)]
    public void Keypoint_LandsOnTheRightPixel_AfterResize(int size)
    {
        // Given: a 40×30 image with a keypoint at the centre of source pixel (10, 5), and a tiny disc
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);
        var image = ds.Images[0];

        // When
        var region = ds.GetRegion(image, "head", size, size, new RoiOptions(DiscRadiusFraction: 0.001))!;

        // Then: the output pixel containing (10.5 × S/40, 5.5 × S/30) is inside, and only pixels near it
        var u = (int)Math.Floor(10.5 * size / 40);
        var v = (int)Math.Floor(5.5 * size / 30);
        Assert.True(region.Contains(u, v), $"({u}, {v}) not inside at S={size}");
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                if (region.Contains(x, y))
                {
                    Assert.InRange(Math.Abs(((x + 0.5) * 40.0 / size) - 10.5), 0, (40.0 / size) + 0.05);
                    Assert.InRange(Math.Abs(((y + 0.5) * 30.0 / size) - 5.5), 0, (30.0 / size) + 0.05);
                }
            }
        }
    }

    [Fact]
    public void Keypoint_Disc_RadiusIsAFractionOfTheImageSize()
    {
        // Given: keypoint (10.5, 5.5) on a 40×30 image, radius 0.1 × 40 = 4 px; output at the source size
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);

        // When
        var region = ds.GetRegion(ds.Images[0], "head", 40, 30)!;

        // Then: exactly the pixels whose centre is within 4 px
        for (var y = 0; y < 30; y++)
        {
            for (var x = 0; x < 40; x++)
            {
                var d2 = ((x + 0.5 - 10.5) * (x + 0.5 - 10.5)) + ((y + 0.5 - 5.5) * (y + 0.5 - 5.5));
                Assert.Equal(d2 <= 16, region.Contains(x, y));
            }
        }
    }

    [Theory]
    [InlineData(40, 30)]
    [InlineData(20, 15)]
    [InlineData(80, 60)]
    [InlineData(32, 32)]
    public void Box_CoversThePixelsWhoseCentreIsInside_AfterResize(int width, int height)
    {
        // Given: box x 4..14, y 6..14 on a 40×30 image
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);

        // When
        var region = ds.GetRegion(ds.Images[0], "body", width, height)!;

        // Then
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var sx = (x + 0.5) * 40 / width;
                var sy = (y + 0.5) * 30 / height;
                Assert.Equal(sx >= 4 && sx < 14 && sy >= 6 && sy < 14, region.Contains(x, y));
            }
        }

        Assert.True(region.PixelCount > 0);
    }

    [Fact]
    public void Mask_IsTheNearestNeighbourResize()
    {
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);

        var region = ds.GetRegion(ds.Images[0], FolderDataset.MaskRegion, 13, 9)!;

        var expected = ImageResize.Nearest(ImageIO.LoadMask(f.P("masks/cat/a.png")), 13, 9).Pixels.Select(p => p != 0 ? 1f : 0f);
        Assert.Equal(expected, region.Mask.Values);
        Assert.Null(ds.GetRegion(ds.Images[1], FolderDataset.MaskRegion, 13, 9));
    }

    [Fact]
    public void LoadSplit_RegionsByName_UnknownNameListsTheKnownOnes()
    {
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);

        var split = ds.LoadSplit(FolderSplit.All, 8, new SplitLoadOptions(Parts: [new RoiPart("head", [])]));
        Assert.Equal(["head"], split.Regions.Keys);
        Assert.Empty(ds.LoadSplit(FolderSplit.All, 8, new SplitLoadOptions(Parts: [])).Regions);

        var e = Assert.Throws<ArgumentException>(() => ds.LoadSplit(FolderSplit.All, 8, new SplitLoadOptions(Parts: [RoiPart.Beak])));
        Assert.Contains("has no region 'beak'; its regions: mask, body, head", e.Message);
    }

    [Fact]
    public void LoadSplit_GrayAndRgbaImages_GrayReplicated_AlphaDropped()
    {
        // Given: a 1-channel PNG and a 4-channel PNG with half-transparent pixels
        using var f = new FolderFixture(standard: false);
        Directory.CreateDirectory(f.P("c"));
        ImageIO.SavePng(f.P("c/gray.png"), new GrayImage(4, 4, Enumerable.Repeat((byte)77, 16).ToArray()));
        using (var bitmap = new SKBitmap(4, 4, SKColorType.Rgba8888, SKAlphaType.Unpremul))
        {
            bitmap.Erase(new SKColor(10, 20, 30, 128));
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(f.P("c/rgba.png"), data.ToArray());
        }

        // When
        var split = FolderDataset.Load(f.Root, new FolderLoadOptions(TestFraction: 0)).LoadSplit(FolderSplit.Train, 4);

        // Then
        Assert.All(split.Image(0).ToArray(), v => Assert.Equal(77 / 255f, v, 1e-6f));
        var rgba = split.Image(1).ToArray();
        Assert.Equal(10 / 255f, rgba[0], 1e-6f);
        Assert.Equal(20 / 255f, rgba[16], 1e-6f);
        Assert.Equal(30 / 255f, rgba[32], 1e-6f);
    }

    [Fact]
    public void LoadSplit_TruncatedImage_ThrowsNamingFile_OrSkips()
    {
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);
        var bytes = File.ReadAllBytes(f.P("dog/f.png"));
        File.WriteAllBytes(f.P("dog/f.png"), bytes[..(bytes.Length * 2 / 3)]);

        var e = Assert.Throws<ImageDataException>(() => ds.LoadSplit(FolderSplit.All, 8));
        Assert.Equal(f.P("dog/f.png"), e.Path);

        var split = ds.LoadSplit(FolderSplit.All, 8, new SplitLoadOptions(SkipCorrupt: true));
        Assert.Equal(6, Assert.Single(split.Skipped).ImageId);
        Assert.Equal(5, split.Count);
    }

    [Fact]
    public void LoadSplit_NonBinaryMask_ThrowsNamingMask()
    {
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);
        f.Mask("masks/dog/d.png", 40, 30, (_, _) => 7);

        var e = Assert.Throws<ImageDataException>(() => ds.LoadSplit(FolderSplit.All, 8));

        Assert.Equal(f.P("masks/dog/d.png"), e.Path);
        Assert.StartsWith("mask is not binary: value 7 at (0, 0)", e.Problem);
    }

    [Fact]
    public void LoadSplit_EmptySplit_ClearError()
    {
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root, new FolderLoadOptions(TestFraction: 0));

        var e = Assert.Throws<ChorusException>(() => ds.LoadSplit(FolderSplit.Test, 8));

        Assert.Contains("the test split has no images", e.Message);
        Assert.Contains(f.Root, e.Message);
    }

    [Fact]
    public void LoadSplit_SingleThreaded_SameAsParallel()
    {
        using var f = new FolderFixture();
        var ds = FolderDataset.Load(f.Root);

        var a = ds.LoadSplit(FolderSplit.All, 12, new SplitLoadOptions(MaxDegreeOfParallelism: 1));
        var b = ds.LoadSplit(FolderSplit.All, 12);

        Assert.Equal(a.Pixels, b.Pixels);
        Assert.Equal(a.Regions["head"].Select(r => r?.Mask.Values), b.Regions["head"].Select(r => r?.Mask.Values));
    }
}
