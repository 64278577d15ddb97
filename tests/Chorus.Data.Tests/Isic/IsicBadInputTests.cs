using Chorus.Data.Imaging;
using Chorus.Data.Isic;

namespace Chorus.Data.Tests.Isic;

/// <summary>Bad inputs not covered by <see cref="IsicDatasetTests"/>: pixel-level problems and empty splits.</summary>
public sealed class IsicBadInputTests : IDisposable
{
    private readonly IsicFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Load_CheckPixels_TruncatedImageAndNonBinaryMask_ProblemsNameTheFiles()
    {
        // Given: one good pair, a truncated JPEG, a mask with value 128
        _f.FlatPair("0000001");
        var truncated = _f.Image(string.Empty, "0000002", 200, 150);
        _f.Mask(string.Empty, "0000002", 200, 150);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - (bytes.Length / 8))]);
        _f.Image(string.Empty, "0000003");
        _f.Mask(string.Empty, "0000003", inside: 128);

        // When: headers only, nothing is found; decoding finds both
        Assert.Equal(3, IsicDataset.Load(_f.Root).Images.Count);
        var e = Assert.Throws<IsicFormatException>(() => IsicDataset.Load(_f.Root, new IsicLoadOptions(CheckPixels: true)));
        var lenient = IsicDataset.Load(_f.Root, new IsicLoadOptions(CheckPixels: true, Lenient: true));

        // Then
        Assert.Equal(2, e.Problems.Count);
        Assert.StartsWith("ISIC_0000002.jpg: truncated image data", e.Problems[0].ToString());
        Assert.StartsWith("ISIC_0000003_segmentation.png: mask is not binary: value 128", e.Problems[1].ToString());
        Assert.Equal(["0000001"], lenient.Images.Select(i => i.Id));
    }

    [Fact]
    public void LoadSplit_TruncatedImage_ThrowsNamingFile()
    {
        _f.FlatPair("0000001");
        var image = _f.Image(string.Empty, "0000002");
        _f.Mask(string.Empty, "0000002");
        var ds = IsicDataset.Load(_f.Root);
        File.WriteAllBytes(image, File.ReadAllBytes(image)[..100]);

        var e = Assert.Throws<ImageDataException>(() => ds.LoadSplit(IsicSplit.All, 4));

        Assert.Equal(image, e.Path);
        Assert.Contains("ISIC_0000002.jpg", e.Message);
    }

    [Fact]
    public void LoadSplit_EmptySplit_ClearError()
    {
        _f.FlatPair("0000001");
        var ds = IsicDataset.Load(_f.Root);

        var e = Assert.Throws<ChorusException>(() => ds.LoadSplit(IsicSplit.Validation, 4));

        Assert.Contains("the validation split has no images (a flat folder holds only the training split)", e.Message);
    }

    [Fact]
    public void Load_GrayscaleJpeg_IsReplicatedIntoRgb()
    {
        // Given: a 1-channel JPEG (as some ISIC-like sources store) with its mask
        var path = Path.Combine(_f.Root, "ISIC_0000001.jpg");
        using (var bitmap = new SkiaSharp.SKBitmap(12, 8, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque))
        {
            bitmap.Erase(new SkiaSharp.SKColor(90, 90, 90));
            using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 100);
            File.WriteAllBytes(path, data.ToArray());
        }

        _f.Mask(string.Empty, "0000001");

        // When
        var split = IsicDataset.Load(_f.Root).LoadSplit(IsicSplit.Training, 4);

        // Then: the three planes are equal
        var px = split.Image(0).ToArray();
        Assert.Equal(px[..16], px[16..32]);
        Assert.Equal(px[..16], px[32..]);
        Assert.InRange(px[0], 85 / 255f, 95 / 255f);
    }
}
