using Chorus.Data.Imaging;
using SkiaSharp;

namespace Chorus.Data.Tests.Imaging;

public class ImageIOTests
{
    private static RgbImage Pattern(int w, int h)
    {
        var img = new RgbImage(w, h);
        for (var i = 0; i < img.Pixels.Length; i++)
        {
            img.Pixels[i] = (byte)((i * 37) % 251);
        }

        return img;
    }

    [Fact]
    public void SavePng_ThenLoadRgb_RoundTripsExactly_AndLeavesNoTempFiles()
    {
        // Given
        var dir = TestPaths.TempDir();
        var img = Pattern(7, 5);

        // When
        ImageIO.SavePng(Path.Combine(dir, "sub", "a.png"), img);
        var back = ImageIO.LoadRgb(Path.Combine(dir, "sub", "a.png"));

        // Then
        Assert.Equal((7, 5), (back.Width, back.Height));
        Assert.Equal(img.Pixels, back.Pixels);
        Assert.Single(Directory.GetFiles(Path.Combine(dir, "sub")));
    }

    [Fact]
    public void SavePng_Gray_ThenLoadMask_IsBinary()
    {
        var dir = TestPaths.TempDir();
        var gray = new GrayImage(4, 2, [0, 1, 2, 255, 0, 0, 128, 0]);
        ImageIO.SavePng(Path.Combine(dir, "m.png"), gray);

        Assert.Equal(gray.Pixels, ImageIO.LoadGray(Path.Combine(dir, "m.png")).Pixels);
        Assert.Equal(new byte[] { 0, 255, 255, 255, 0, 0, 255, 0 }, ImageIO.LoadMask(Path.Combine(dir, "m.png")).Pixels);
    }

    [Fact]
    public void LoadRgb_GrayscalePng_ReplicatesChannels()
    {
        var dir = TestPaths.TempDir();
        ImageIO.SavePng(Path.Combine(dir, "g.png"), new GrayImage(2, 1, [10, 200]));

        var rgb = ImageIO.LoadRgb(Path.Combine(dir, "g.png"));

        Assert.Equal(new byte[] { 10, 10, 10, 200, 200, 200 }, rgb.Pixels);
    }

    [Fact]
    public void LoadRgb_RgbaPng_DropsAlphaKeepsColour()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "rgba.png");
        using (var bmp = new SKBitmap(new SKImageInfo(2, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            bmp.SetPixel(0, 0, new SKColor(200, 100, 50, 128));
            bmp.SetPixel(1, 0, new SKColor(1, 2, 3, 255));
            using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
        }

        var rgb = ImageIO.LoadRgb(path);

        Assert.Equal(new byte[] { 200, 100, 50, 1, 2, 3 }, rgb.Pixels);
    }

    [Fact]
    public void LoadRgb_Jpeg_DecodesApproximately()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "a.jpg");
        using (var bmp = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Opaque)))
        {
            bmp.Erase(new SKColor(30, 140, 220));
            using var data = bmp.Encode(SKEncodedImageFormat.Jpeg, 95);
            File.WriteAllBytes(path, data.ToArray());
        }

        var rgb = ImageIO.LoadRgb(path);

        Assert.Equal((16, 16), (rgb.Width, rgb.Height));
        var (r, g, b) = rgb[8, 8];
        Assert.InRange(r, 22, 38);
        Assert.InRange(g, 132, 148);
        Assert.InRange(b, 212, 228);
    }

    [Fact]
    public void LoadRgb_MissingFile_ThrowsNamingFile()
    {
        var path = Path.Combine(TestPaths.TempDir(), "nope.png");

        var e = Assert.Throws<ImageDataException>(() => ImageIO.LoadRgb(path));

        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("not found", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void LoadRgb_GarbageFile_ThrowsNamingFile()
    {
        var path = Path.Combine(TestPaths.TempDir(), "garbage.png");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 7))]);

        var e = Assert.Throws<ImageDataException>(() => ImageIO.LoadRgb(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("not a decodable image", e.Message);
    }

    [Fact]
    public void LoadRgb_EmptyFile_Throws()
    {
        var path = Path.Combine(TestPaths.TempDir(), "empty.png");
        File.WriteAllBytes(path, []);

        var e = Assert.Throws<ImageDataException>(() => ImageIO.LoadRgb(path));

        Assert.Contains("empty", e.Message);
    }

    [Theory]
    [InlineData(0.6)]
    [InlineData(0.9)]
    public void LoadRgb_TruncatedPng_ThrowsTruncated(double keep)
    {
        // Given: a PNG whose pixel data does not compress away, cut short
        var dir = TestPaths.TempDir();
        var noise = new RgbImage(64, 64);
        new Random(1).NextBytes(noise.Pixels);
        var bytes = ImageIO.EncodePng(noise);
        var path = Path.Combine(dir, "cut.png");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);

        // When
        var e = Assert.Throws<ImageDataException>(() => ImageIO.LoadRgb(path));

        // Then
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void EncodePng_SamePixels_SameBytes()
    {
        Assert.Equal(ImageIO.EncodePng(Pattern(9, 9)), ImageIO.EncodePng(Pattern(9, 9)));
    }

    [Fact]
    public void ReadSize_ReadsHeader()
    {
        var path = Path.Combine(TestPaths.TempDir(), "s.png");
        ImageIO.SavePng(path, Pattern(11, 3));

        Assert.Equal((11, 3), ImageIO.ReadSize(path));
    }
}
