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
