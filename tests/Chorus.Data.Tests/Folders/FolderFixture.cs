using Chorus.Data.Imaging;
using SkiaSharp;

namespace Chorus.Data.Tests.Folders;

/// <summary>
/// Writes small plain-folder datasets: by default two classes (<c>cat</c>: a.png, b.jpg, c.png; <c>dog</c>: d.png, e.jpeg, f.png),
/// 40×30 images of distinct flat colours (PNGs exact), a 0/255 mask for cat/a (left half) and a 0/1 mask for dog/d (top half),
/// and a regions.csv with a keypoint and a box on cat/a and a keypoint on dog/d.
/// </summary>
internal sealed class FolderFixture : IDisposable
{
    public const int W = 40;
    public const int H = 30;

    public FolderFixture(bool standard = true)
    {
        Root = Path.Combine(TestPaths.TempDir("chorus-folders"), "ds");
        Directory.CreateDirectory(Root);
        if (!standard)
        {
            return;
        }

        Png("cat/a.png", W, H, new SKColor(200, 10, 10));
        Jpeg("cat/b.jpg", W, H, new SKColor(10, 200, 10));
        Png("cat/c.png", W, H, new SKColor(10, 10, 200));
        Png("dog/d.png", W, H, new SKColor(120, 60, 30));
        Jpeg("dog/e.jpeg", W, H, new SKColor(30, 60, 120));
        Png("dog/f.png", W, H, new SKColor(90, 90, 90));
        Mask("masks/cat/a.png", W, H, (x, _) => x < W / 2 ? (byte)255 : (byte)0);
        Mask("masks/dog/d.png", W, H, (_, y) => y < H / 2 ? (byte)1 : (byte)0);
        Text("regions.csv", "image,region,kind,x,y,w,h", "cat/a.png,head,point,10.5,5.5", "cat/a.png,body,box,4,6,10,8", "dog/d.png,head,point,30,20");
    }

    public string Root { get; }

    public string P(string rel) => Path.Combine(Root, rel);

    /// <summary>An RGB PNG of one colour.</summary>
    public string Png(string rel, int width, int height, SKColor color)
    {
        var image = new RgbImage(width, height);
        for (var i = 0; i < width * height; i++)
        {
            (image.Pixels[i * 3], image.Pixels[(i * 3) + 1], image.Pixels[(i * 3) + 2]) = (color.Red, color.Green, color.Blue);
        }

        ImageIO.SavePng(P(rel), image);
        return P(rel);
    }

    public string Jpeg(string rel, int width, int height, SKColor color)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(P(rel))!);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(P(rel), data.ToArray());
        return P(rel);
    }

    /// <summary>A grayscale PNG whose pixels are given by <paramref name="value"/>.</summary>
    public string Mask(string rel, int width, int height, Func<int, int, byte> value)
    {
        var mask = new GrayImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                mask.Pixels[(y * width) + x] = value(x, y);
            }
        }

        ImageIO.SavePng(P(rel), mask);
        return P(rel);
    }

    public void Text(string rel, params string[] lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(P(rel))!);
        File.WriteAllLines(P(rel), lines);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
