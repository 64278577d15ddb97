using Chorus.Data.Imaging;
using Chorus.Data.Synthetic;
using Chorus.Testing;
using SkiaSharp;

namespace Chorus.Cli.Tests;

[Collection("Cli")]
public class DataCheckCommandTests
{
    [Fact]
    public async Task Cub_SynthBirds_ExitsZero_WithSummary()
    {
        // Given
        var dir = Path.Combine(TestPaths.TempDir(), "birds");
        SynthBirds.Generate(dir, new SynthBirdsOptions(Species: 4, ImageSize: 32, Count: 24));

        // When
        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--format", "cub");

        // Then
        Assert.True(code == 0, output);
        Assert.Contains("Images: 24", output);
        Assert.Contains("Classes: 4", output);
        Assert.Matches(@"Splits: train \d+, test \d+", output);
        Assert.Contains("Parts visible (of 24 images):", output);
        Assert.Matches(@"  beak: \d+", output);
        Assert.Contains("Problems: none", output);
    }

    [Fact]
    public async Task Cub_BrokenLabels_ExitsOne_NamingFileAndLine()
    {
        // Given
        var dir = Path.Combine(TestPaths.TempDir(), "birds");
        SynthBirds.Generate(dir, new SynthBirdsOptions(Species: 4, ImageSize: 32, Count: 24));
        File.AppendAllText(Path.Combine(dir, "image_class_labels.txt"), "999 1\n");

        // When
        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--format", "cub");

        // Then
        Assert.Equal(1, code);
        Assert.Contains("Problems: 1", output);
        Assert.Contains("image_class_labels.txt:25: image id 999 is not in images.txt", output);
    }

    [Fact]
    public async Task Isic_Valid_ExitsZero_WithSummary()
    {
        // Given
        var dir = TestPaths.TempDir();
        Pair(dir, "ISIC2018_Task1-2_Training_Input", "ISIC2018_Task1_Training_GroundTruth", "0000001");
        Pair(dir, "ISIC2018_Task1-2_Training_Input", "ISIC2018_Task1_Training_GroundTruth", "0000002");
        Pair(dir, "ISIC2018_Task1-2_Validation_Input", "ISIC2018_Task1_Validation_GroundTruth", "0000003");
        File.WriteAllLines(Path.Combine(dir, "labels.csv"), ["image,label", "ISIC_0000001,nevus", "ISIC_0000002,melanoma", "ISIC_0000003,nevus"]);

        // When
        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--format", "isic2018");

        // Then
        Assert.True(code == 0, output);
        Assert.Contains("official folders", output);
        Assert.Contains("Images: 3 (image/mask pairs; mask files found: 3)", output);
        Assert.Contains("Label source: labels.csv", output);
        Assert.Contains("  melanoma: 1", output);
        Assert.Contains("  nevus: 2", output);
        Assert.Contains("Splits: training 2, validation 1, test 0", output);
        Assert.Contains("Problems: none", output);
    }

    [Fact]
    public async Task Isic_Broken_ExitsOne_ListingProblems()
    {
        // Given: one good pair, an image without mask, a mask of a different size, a bad CSV row
        var dir = TestPaths.TempDir();
        Pair(dir, string.Empty, string.Empty, "0000001");
        Jpeg(Path.Combine(dir, "ISIC_0000002.jpg"), 12, 8);
        Jpeg(Path.Combine(dir, "ISIC_0000003.jpg"), 12, 8);
        ImageIO.SavePng(Path.Combine(dir, "ISIC_0000003_segmentation.png"), new GrayImage(6, 6));
        File.WriteAllLines(
            Path.Combine(dir, "labels.csv"),
            ["image,MEL,NV", "ISIC_0000001,1.0,0.0", "ISIC_0000002,0.0,1.0", "ISIC_0000003,1.0,1.0"]);

        // When
        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--format", "isic2018");

        // Then
        Assert.Equal(1, code);
        Assert.Contains("flat folder", output);
        Assert.Contains("Images: 1", output);
        Assert.Contains("Label source: labels.csv", output);
        Assert.Contains("Problems: 3", output);
        Assert.Contains("ISIC_0000003_segmentation.png: mask is 6×6 but its image is 12×8", output);
        Assert.Contains("ISIC_0000002.jpg: image without mask", output);
        Assert.Contains("labels.csv:4: ISIC_0000003: expected exactly one 1.0", output);
    }

    [Fact]
    public async Task Isic_EmptyFolder_ExitsOne()
    {
        var (code, output) = await CliRunner.RunAsync("data", "check", TestPaths.TempDir(), "--format", "isic2018");
        Assert.Equal(1, code);
        Assert.Contains("no ISIC_<id>.jpg images or masks found", output);
    }

    [Fact]
    public async Task MissingDir_ExitsTwo()
    {
        var (code, output) = await CliRunner.RunAsync("data", "check", Path.Combine(TestPaths.TempDir(), "nope"), "--format", "isic2018");
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("nope", output);
    }

    [Fact]
    public async Task UnknownFormat_ExitsTwo()
    {
        var (code, output) = await CliRunner.RunAsync("data", "check", TestPaths.TempDir(), "--format", "voc");
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("voc", output);
    }

    [Fact]
    public async Task Folder_Valid_ExitsZero_WithSummary()
    {
        // Given
        var dir = FolderDataset();

        // When
        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--format", "folder");

        // Then
        Assert.True(code == 0, output);
        Assert.Contains("Format: folder", output);
        Assert.Contains("Images: 5", output);
        Assert.Contains("Classes: 2", output);
        Assert.Contains("  cat: 3", output);
        Assert.Contains("  dog: 2", output);
        Assert.Contains("Splits: train 3, test 2 (seeded, test fraction 0.3, seed 0)", output);
        Assert.Contains("Masks: 1 of 5 images", output);
        Assert.Contains("Regions (regions.csv): body (1 rows on 1 images), head (2 rows on 2 images)", output);
        Assert.Contains("Problems: none", output);
    }

    [Fact]
    public async Task Folder_Detected_WhenFormatIsOmitted_SplitCsvReported()
    {
        var dir = FolderDataset();
        File.WriteAllLines(Path.Combine(dir, "split.csv"), ["cat/1.png,train", "cat/2.png,train", "cat/3.jpg,test", "dog/1.png,train", "dog/2.jpg,test"]);

        var (code, output) = await CliRunner.RunAsync("data", "check", dir);

        Assert.True(code == 0, output);
        Assert.Contains("Format: folder", output);
        Assert.Contains("Splits: train 3, test 2 (split.csv)", output);
    }

    [Fact]
    public async Task Folder_Problems_ExitsOne_NamingFileAndLine()
    {
        // Given: a keypoint outside the image, an escaping path, a truncated image, a mask of another size
        var dir = FolderDataset();
        File.AppendAllLines(Path.Combine(dir, "regions.csv"), ["cat/1.png,head,point,50,1", "../x.png,head,point,1,1"]);
        var bytes = File.ReadAllBytes(Path.Combine(dir, "dog", "1.png"));
        File.WriteAllBytes(Path.Combine(dir, "dog", "1.png"), bytes[..(bytes.Length * 2 / 3)]);
        ImageIO.SavePng(Path.Combine(dir, "masks", "cat", "1.png"), new GrayImage(3, 3));

        // When
        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--format", "folder");

        // Then
        Assert.Equal(1, code);
        Assert.True(output.Contains("Problems: 4", StringComparison.Ordinal), output);
        Assert.Contains("masks/cat/1.png: mask is 3×3 but its image cat/1.png is 12×8", output);
        Assert.Contains("regions.csv:5: keypoint (50, 1) of 'head' is outside the 12×8 image cat/1.png", output);
        Assert.Contains("regions.csv:6: image path '../x.png' escapes the dataset root", output);
        Assert.Contains("dog/1.png: truncated image data", output);
        Assert.Contains("Images: 3", output);
    }

    [Fact]
    public async Task Folder_NoDecode_MissesTruncatedPixels()
    {
        var dir = FolderDataset();
        var bytes = File.ReadAllBytes(Path.Combine(dir, "dog", "1.png"));
        File.WriteAllBytes(Path.Combine(dir, "dog", "1.png"), bytes[..(bytes.Length * 2 / 3)]);

        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--no-decode");

        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Cub_Detected_EvenWithoutImagesTxt()
    {
        var dir = Path.Combine(TestPaths.TempDir(), "birds");
        SynthBirds.Generate(dir, new SynthBirdsOptions(Species: 4, ImageSize: 32, Count: 24));
        File.Delete(Path.Combine(dir, "images.txt"));

        var (code, output) = await CliRunner.RunAsync("data", "check", dir);

        Assert.Equal(1, code);
        Assert.Contains("Format: cub", output);
        Assert.Contains("images.txt: file is missing", output);
    }

    [Fact]
    public async Task Cub_Classes_SummaryOfTheSubset_WithDenseLabels()
    {
        var dir = Path.Combine(TestPaths.TempDir(), "birds");
        SynthBirds.Generate(dir, new SynthBirdsOptions(Species: 4, ImageSize: 32, Count: 24));

        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--classes", "2,4");

        Assert.True(code == 0, output);
        Assert.Contains("Format: cub", output);
        Assert.Contains(", classes 2,4)", output);
        Assert.Contains("Classes: 2", output);
        Assert.Matches(@"\(id 2, label 0\): \d+", output);
        Assert.Matches(@"\(id 4, label 1\): \d+", output);
    }

    [Fact]
    public async Task Cub_ClassesOutsideDataset_ExitsOne_NamingClassesTxt()
    {
        var dir = Path.Combine(TestPaths.TempDir(), "birds");
        SynthBirds.Generate(dir, new SynthBirdsOptions(Species: 4, ImageSize: 32, Count: 24));

        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--format", "cub", "--classes", "1-6");

        Assert.Equal(1, code);
        Assert.Contains("classes.txt: selected class ids 5-6 not in this file (its ids: 1-4)", output);
    }

    [Theory]
    [InlineData("1-x", "'x' is not a class id")]
    [InlineData("3-1", "ends before it starts")]
    public async Task Cub_BadClassesText_ExitsTwo(string text, string expected)
    {
        var dir = Path.Combine(TestPaths.TempDir(), "birds");
        SynthBirds.Generate(dir, new SynthBirdsOptions(Species: 4, ImageSize: 32, Count: 24));

        var (code, output) = await CliRunner.RunAsync("data", "check", dir, "--classes", text);

        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains(expected, output);
    }

    [Fact]
    public async Task Cub_TruncatedImage_ExitsOne_NamingImagesTxtLine()
    {
        var dir = Path.Combine(TestPaths.TempDir(), "birds");
        SynthBirds.Generate(dir, new SynthBirdsOptions(Species: 4, ImageSize: 32, Count: 24));
        var rel = File.ReadAllLines(Path.Combine(dir, "images.txt"))[2].Split(' ')[1];
        var path = Path.Combine(dir, "images", rel);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..200]);

        var (code, output) = await CliRunner.RunAsync("data", "check", dir);

        Assert.Equal(1, code);
        Assert.Contains($"images.txt:3: image 3: images/{rel}: truncated image data", output);
    }

    /// <summary>cat: 1.png 2.png 3.jpg (12×8), dog: 1.png 2.jpg; a mask for cat/1; regions.csv with two heads and a body.</summary>
    private static string FolderDataset()
    {
        var dir = Path.Combine(TestPaths.TempDir(), "folder");
        foreach (var rel in new[] { "cat/1.png", "cat/2.png", "dog/1.png" })
        {
            ImageIO.SavePng(Path.Combine(dir, rel), new RgbImage(12, 8, Enumerable.Range(0, 12 * 8 * 3).Select(i => (byte)(i * 7)).ToArray()));
        }

        Jpeg(Path.Combine(dir, "cat", "3.jpg"), 12, 8);
        Jpeg(Path.Combine(dir, "dog", "2.jpg"), 12, 8);
        var mask = new GrayImage(12, 8);
        mask.Pixels.AsSpan(0, 48).Fill(255);
        ImageIO.SavePng(Path.Combine(dir, "masks", "cat", "1.png"), mask);
        File.WriteAllLines(Path.Combine(dir, "regions.csv"), ["image,region,kind,x,y,w,h", "cat/1.png,head,point,3,3", "dog/1.png,head,point,6,4", "cat/2.png,body,box,1,1,4,4"]);
        return dir;
    }

    private static void Pair(string root, string input, string truth, string id)
    {
        Jpeg(Path.Combine(root, input, $"ISIC_{id}.jpg"), 12, 8);
        var mask = new GrayImage(12, 8);
        mask.Pixels.AsSpan(0, 48).Fill(255);
        ImageIO.SavePng(Path.Combine(root, truth, $"ISIC_{id}_segmentation.png"), mask);
    }

    private static void Jpeg(string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(180, 100, 80));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(path, data.ToArray());
    }
}
