using Chorus.Data.Imaging;
using Chorus.Data.Isic;
using SkiaSharp;

namespace Chorus.Data.Tests.Isic;

/// <summary>Writes tiny ISIC 2018 folders: JPEG images and 0/255 PNG masks whose left half (columns &lt; W/2) is lesion.</summary>
internal sealed class IsicFixture : IDisposable
{
    public IsicFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "chorus-isic-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public static string InputDir(IsicSplit split) => IsicDataset.InputFolder(split);

    public static string TruthDir(IsicSplit split) => IsicDataset.GroundTruthFolder(split);

    /// <summary>Writes <c>ISIC_&lt;id&gt;.jpg</c> into <paramref name="folder"/> (relative to the root; "" for the root).</summary>
    public string Image(string folder, string id, int width = 12, int height = 8)
    {
        var path = Path.Combine(Root, folder, $"ISIC_{id}.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(200, 120, 90));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>Writes <c>ISIC_&lt;id&gt;_segmentation.png</c>: 255 on the left half, <paramref name="outside"/> elsewhere.</summary>
    public string Mask(string folder, string id, int width = 12, int height = 8, byte inside = 255, byte outside = 0)
    {
        var path = Path.Combine(Root, folder, $"ISIC_{id}_segmentation.png");
        var mask = new GrayImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                mask.Pixels[(y * width) + x] = x < width / 2 ? inside : outside;
            }
        }

        ImageIO.SavePng(path, mask);
        return path;
    }

    public void Pair(IsicSplit split, string id, int width = 12, int height = 8)
    {
        Image(InputDir(split), id, width, height);
        Mask(TruthDir(split), id, width, height);
    }

    public void FlatPair(string id, int width = 12, int height = 8)
    {
        Image(string.Empty, id, width, height);
        Mask(string.Empty, id, width, height);
    }

    public void Csv(string name, params string[] lines) => File.WriteAllLines(Path.Combine(Root, name), lines);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
