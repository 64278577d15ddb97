using Chorus.Data.Cub;
using Chorus.Data.Imaging;

namespace Chorus.Data.Tests.Cub;

/// <summary><see cref="CubLoadOptions.CheckImages"/>: pixel-level problems reported on the line of the text file that refers to them.</summary>
public class CheckImagesTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>
{
    [Fact]
    public void Load_CheckImages_SynthBirdsHasNoProblems()
    {
        var ds = CubDataset.Load(fixture.Root, new CubLoadOptions(CheckImages: true));
        Assert.Equal(SynthBirdsFixture.Options.Count, ds.Images.Count);
    }

    [Fact]
    public void Load_KeypointOutsideImage_ProblemNamesPartLocsLine()
    {
        // Given: image 5's beak keypoint moved to x = 60 on a 48×48 image
        var root = fixture.Copy();
        var path = Path.Combine(root, "parts", "part_locs.txt");
        var lines = File.ReadAllLines(path);
        var index = Array.FindIndex(lines, l => l.StartsWith("5 2 ", StringComparison.Ordinal));
        lines[index] = "5 2 60 10 1";
        File.WriteAllLines(path, lines);

        // When
        CubDataset.Load(root); // without the check the file is well-formed
        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root, new CubLoadOptions(CheckImages: true)));

        // Then
        Assert.Equal($"parts/part_locs.txt:{index + 1}: image 5: part 2 keypoint (60, 10) is outside the 48×48 image", Assert.Single(e.Problems).ToString());
    }

    [Fact]
    public void Load_BoxOutsideImage_ProblemNamesBoxLine()
    {
        var root = fixture.Copy();
        var path = Path.Combine(root, "bounding_boxes.txt");
        var lines = File.ReadAllLines(path);
        var index = Array.FindIndex(lines, l => l.StartsWith("6 ", StringComparison.Ordinal));
        lines[index] = "6 40 40 20.5 20";
        File.WriteAllLines(path, lines);

        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root, new CubLoadOptions(CheckImages: true)));

        Assert.Equal($"bounding_boxes.txt:{index + 1}: image 6: box (40, 40, 20.5, 20) is outside the 48×48 image", Assert.Single(e.Problems).ToString());
    }

    [Theory]
    [InlineData(0.5, "truncated image data")]
    [InlineData(0.0, "file is empty")]
    public void Load_CorruptImage_ProblemNamesImagesTxtLineAndFile(double keep, string expected)
    {
        var root = fixture.Copy();
        var image = CubDataset.Load(root).GetImage(7);
        var bytes = File.ReadAllBytes(image.FullPath);
        File.WriteAllBytes(image.FullPath, bytes[..(int)(bytes.Length * keep)]);

        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root, new CubLoadOptions(CheckImages: true)));

        Assert.StartsWith($"images.txt:7: image 7: images/{image.RelativePath}: {expected}", Assert.Single(e.Problems).ToString());
    }

    [Fact]
    public void Load_SegmentationOfAnotherSize_ProblemNamesMask()
    {
        var root = fixture.Copy();
        var ds = CubDataset.Load(root);
        var image = ds.GetImage(8);
        ImageIO.SavePng(ds.SegmentationPath(image)!, new GrayImage(10, 10));

        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root, new CubLoadOptions(CheckImages: true)));

        var rel = "segmentations/" + Path.ChangeExtension(image.RelativePath, ".png");
        Assert.Equal($"{rel}: mask is 10×10 but image 8 (images/{image.RelativePath}) is 48×48", Assert.Single(e.Problems).ToString());
    }

    [Fact]
    public void LoadSplit_EmptySplit_ClearError()
    {
        // Given: every image in train
        var root = fixture.Copy();
        var path = Path.Combine(root, "train_test_split.txt");
        File.WriteAllLines(path, File.ReadAllLines(path).Select(l => l.Split(' ')[0] + " 1"));
        var ds = CubDataset.Load(root);

        var e = Assert.Throws<ChorusException>(() => ds.LoadSplit(CubSplit.Test, 8));

        Assert.Contains("the test split has no images", e.Message);
        Assert.Contains(root, e.Message);
    }
}
