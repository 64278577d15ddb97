using Chorus.Data.Imaging;
using Chorus.Data.Isic;
using SkiaSharp;

namespace Chorus.Cli.Tests;

/// <summary>
/// Writes tiny ISIC 2018 Task 1 folders for the study: 32×32 JPEGs of a lesion on skin (class 0 "benign": a round
/// lesion; class 1 "malignant": a square one, darker), the 0/255 PNG mask of the lesion, and a one-hot labels CSV.
/// </summary>
internal static class IsicFolderFixtures
{
    public const int Size = 32;

    /// <summary>
    /// A folder with <paramref name="train"/> images in the official Training folders and <paramref name="test"/> in
    /// the Validation folders (none: only Training exists), plus <c>labels.csv</c> unless <paramref name="labels"/> is false.
    /// Ids are ISIC_0000001… in order; image i has class i mod 2.
    /// </summary>
    public static string Official(int train = 12, int test = 6, bool labels = true)
    {
        var root = TestPaths.TempDir("chorus-isic");
        for (var i = 0; i < train + test; i++)
        {
            var split = i < train ? IsicSplit.Training : IsicSplit.Validation;
            Pair(Path.Combine(root, IsicDataset.InputFolder(split)), Path.Combine(root, IsicDataset.GroundTruthFolder(split)), i);
        }

        if (labels)
        {
            Labels(root, train + test);
        }

        return root;
    }

    /// <summary>A flat folder: <paramref name="count"/> images and masks side by side at the root, and labels.</summary>
    public static string Flat(int count = 16)
    {
        var root = TestPaths.TempDir("chorus-isic-flat");
        for (var i = 0; i < count; i++)
        {
            Pair(root, root, i);
        }

        Labels(root, count);
        return root;
    }

    public static string Name(int i) => $"ISIC_{i + 1:D7}";

    /// <summary>The path of image <paramref name="i"/>'s JPEG in an official folder.</summary>
    public static string ImagePath(string root, int i, IsicSplit split = IsicSplit.Training) =>
        Path.Combine(root, IsicDataset.InputFolder(split), Name(i) + ".jpg");

    private static void Labels(string root, int count) =>
        File.WriteAllLines(Path.Combine(root, "labels.csv"), [
            "image,benign,malignant",
            .. Enumerable.Range(0, count).Select(i => $"{Name(i)},{(i % 2 == 0 ? "1.0,0.0" : "0.0,1.0")}"),
        ]);

    private static void Pair(string imageDir, string maskDir, int i)
    {
        Directory.CreateDirectory(imageDir);
        Directory.CreateDirectory(maskDir);
        var rng = new Random(i);
        var (cx, cy, r) = (10 + rng.Next(12), 10 + rng.Next(12), 5 + rng.Next(3));
        var round = i % 2 == 0;
        var mask = new GrayImage(Size, Size);
        using var bitmap = new SKBitmap(Size, Size, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var inside = round ? ((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= r * r : Math.Abs(x - cx) <= r && Math.Abs(y - cy) <= r;
                mask.Pixels[(y * Size) + x] = inside ? (byte)255 : (byte)0;
                var shade = (byte)rng.Next(10);
                bitmap.SetPixel(x, y, inside
                    ? (round ? new SKColor((byte)(150 + shade), 80, 50) : new SKColor((byte)(60 + shade), 30, 40))
                    : new SKColor((byte)(220 + shade), 180, 150));
            }
        }

        using (var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95))
        {
            File.WriteAllBytes(Path.Combine(imageDir, Name(i) + ".jpg"), data.ToArray());
        }

        ImageIO.SavePng(Path.Combine(maskDir, Name(i) + "_segmentation.png"), mask);
    }
}
