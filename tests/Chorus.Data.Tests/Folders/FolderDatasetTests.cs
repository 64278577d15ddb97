using Chorus.Data.Folders;
using Chorus.Data.Imaging;
using SkiaSharp;

namespace Chorus.Data.Tests.Folders;

public class FolderDatasetTests
{
    [Fact]
    public void Load_StandardFolder_EveryFieldRight()
    {
        // Given
        using var f = new FolderFixture();

        // When
        var ds = FolderDataset.Load(f.Root);

        // Then
        Assert.Equal(f.Root, ds.Root);
        Assert.Equal(["cat", "dog"], ds.Classes);
        Assert.Equal(["mask", "body", "head"], ds.RegionNames);
        Assert.False(ds.HasSplitFile);
        Assert.Empty(ds.Problems);
        Assert.Equal(["cat/a.png", "cat/b.jpg", "cat/c.png", "dog/d.png", "dog/e.jpeg", "dog/f.png"], ds.Images.Select(i => i.RelativePath));
        Assert.Equal([1, 2, 3, 4, 5, 6], ds.Images.Select(i => i.Id));
        Assert.Equal([0, 0, 0, 1, 1, 1], ds.Images.Select(i => i.ClassIndex));
        Assert.Equal(["cat", "cat", "cat", "dog", "dog", "dog"], ds.Images.Select(i => i.ClassName));
        Assert.All(ds.Images, i => Assert.Equal((FolderFixture.W, FolderFixture.H), (i.Width, i.Height)));
        Assert.All(ds.Images, i => Assert.Equal(f.P(i.RelativePath), i.FullPath));
        Assert.Equal([f.P("masks/cat/a.png"), null, null, f.P("masks/dog/d.png"), null, null], ds.Images.Select(i => i.MaskPath));
        Assert.Equal(
            [new FolderRegion("head", FolderRegionKind.Point, 10.5f, 5.5f, 0, 0, 2), new FolderRegion("body", FolderRegionKind.Box, 4, 6, 10, 8, 3)],
            ds.Images[0].Regions);
        Assert.Equal([new FolderRegion("head", FolderRegionKind.Point, 30, 20, 0, 0, 4)], ds.Images[3].Regions);
        Assert.Empty(ds.Images[1].Regions);

        // Seeded split, 3 images per class, test fraction 0.3 → round(0.9) = 1 test image per class
        Assert.Equal(1, ds.Split(FolderSplit.Test).Count(i => i.ClassIndex == 0));
        Assert.Equal(1, ds.Split(FolderSplit.Test).Count(i => i.ClassIndex == 1));
        Assert.Equal(4, ds.Split(FolderSplit.Train).Count);
        Assert.Equal(6, ds.Split(FolderSplit.All).Count);
    }

    [Fact]
    public void Load_SplitCsv_DecidesEveryImage()
    {
        using var f = new FolderFixture();
        f.Text("split.csv", "image,split", "cat/a.png,test", "cat/b.jpg,train", "cat/c.png,TRAIN", "dog/d.png,train", "./dog/e.jpeg,test", "dog/f.png,train");

        var ds = FolderDataset.Load(f.Root);

        Assert.True(ds.HasSplitFile);
        Assert.Equal(["cat/a.png", "dog/e.jpeg"], ds.Split(FolderSplit.Test).Select(i => i.RelativePath));
    }

    [Fact]
    public void Load_SeededSplit_IsStratified_AndDependsOnlyOnTheSeed()
    {
        // Given: 10 images per class
        using var f = new FolderFixture(standard: false);
        foreach (var cls in new[] { "a", "b" })
        {
            for (var i = 0; i < 10; i++)
            {
                f.Png($"{cls}/{i:D2}.png", 4, 4, SKColors.White);
            }
        }

        // When
        string[] Test(int seed, double fraction = 0.3) =>
            [.. FolderDataset.Load(f.Root, new FolderLoadOptions(fraction, seed)).Split(FolderSplit.Test).Select(i => i.RelativePath)];

        // Then
        var first = Test(1);
        Assert.Equal(3, first.Count(p => p.StartsWith("a/", StringComparison.Ordinal)));
        Assert.Equal(3, first.Count(p => p.StartsWith("b/", StringComparison.Ordinal)));
        Assert.Equal(first, Test(1));
        Assert.NotEqual(first, Test(2));
        Assert.Equal(10, Test(1, 0.5).Length);
        Assert.Empty(Test(1, 0));
        Assert.Equal(20, Test(1, 1).Length);
    }

    [Fact]
    public void Load_MasksFolderAndHiddenFolders_AreNotClasses_OtherFilesIgnored()
    {
        using var f = new FolderFixture();
        f.Png(".cache/x.png", 4, 4, SKColors.White);
        f.Text("cat/notes.txt", "not an image");

        var ds = FolderDataset.Load(f.Root);

        Assert.Equal(["cat", "dog"], ds.Classes);
        Assert.Equal(6, ds.Images.Count);
    }

    [Fact]
    public void Load_NoMasksNoRegions_NoRegionNames()
    {
        using var f = new FolderFixture(standard: false);
        f.Png("x/1.png", 4, 4, SKColors.White);
        f.Png("y/1.png", 4, 4, SKColors.White);

        var ds = FolderDataset.Load(f.Root);

        Assert.Empty(ds.RegionNames);
        Assert.Equal(["x", "y"], ds.Classes);
    }

    [Fact]
    public void LoadBinaryMask_ZeroOne_And_Zero255_AreTheSame_OthersRejected()
    {
        using var f = new FolderFixture(standard: false);
        var a = FolderDataset.LoadBinaryMask(f.Mask("a.png", 4, 2, (x, _) => x < 2 ? (byte)1 : (byte)0));
        var b = FolderDataset.LoadBinaryMask(f.Mask("b.png", 4, 2, (x, _) => x < 2 ? (byte)255 : (byte)0));
        Assert.Equal(b.Pixels, a.Pixels);
        Assert.Equal([255, 255, 0, 0, 255, 255, 0, 0], a.Pixels.Select(p => (int)p));

        var gray = Assert.Throws<ImageDataException>(() => FolderDataset.LoadBinaryMask(f.Mask("c.png", 4, 2, (x, y) => x == 3 && y == 1 ? (byte)128 : (byte)0)));
        Assert.Equal("mask is not binary: value 128 at (3, 1); expected only 0/255 or only 0/1", gray.Problem);
        var mixed = Assert.Throws<ImageDataException>(() => FolderDataset.LoadBinaryMask(f.Mask("d.png", 4, 2, (x, _) => x == 0 ? (byte)1 : (byte)255)));
        Assert.Contains("mixes 1 and 255", mixed.Problem);
        Assert.EndsWith("d.png", mixed.Path);
    }
}
