using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using Chorus.Data.Loading;
using Chorus.Data.Regions;

namespace Chorus.Data.Tests.Cub;

public class LoadSplitTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>
{
    [Fact]
    public void LoadSplit_Test_PixelsLabelsAndRegions()
    {
        var ds = CubDataset.Load(fixture.Root);
        var test = ds.Split(CubSplit.Test);

        // When
        var split = ds.LoadSplit(CubSplit.Test, 32, new SplitLoadOptions(Parts: [RoiPart.Beak, RoiPart.Wings]));

        // Then
        Assert.Equal(test.Count, split.Count);
        Assert.Equal(32, split.Size);
        Assert.Equal(8, split.ClassCount);
        Assert.Equal(test.Count * 3 * 32 * 32, split.Pixels.Length);
        Assert.Equal(test.Select(i => i.ClassIndex), split.Labels);
        Assert.Equal(test.Select(i => i.Id), split.ImageIds);
        Assert.All(split.Pixels, v => Assert.InRange(v, 0f, 1f));
        var expected = new float[3 * 32 * 32];
        ImageResize.BilinearToPlanar(ImageIO.LoadRgb(test[2].FullPath), 32, 32, expected);
        Assert.Equal(expected, split.Image(2).ToArray());
        Assert.Equal(ds.GetRegion(test[2], RoiPart.Beak, 32, 32)!.Mask.Values, split.Regions["beak"][2]!.Mask.Values);
        Assert.All(split.Regions["wings"], r => Assert.Equal(32 * 32, r!.Mask.Values.Length));
        Assert.Empty(split.Skipped);
    }

    [Fact]
    public void LoadSplit_SingleThreaded_SameAsParallel()
    {
        var ds = CubDataset.Load(fixture.Root);

        var a = ds.LoadSplit(CubSplit.Train, 24, new SplitLoadOptions(MaxDegreeOfParallelism: 1));
        var b = ds.LoadSplit(CubSplit.Train, 24);

        Assert.Equal(a.Pixels, b.Pixels);
        Assert.Equal(a.Labels, b.Labels);
    }

    [Fact]
    public void LoadSplit_CorruptImage_ThrowsNamingFile_OrSkipsWhenAsked()
    {
        // Given: one truncated PNG in the training split
        var root = fixture.Copy();
        var ds = CubDataset.Load(root);
        var victim = ds.Split(CubSplit.Train)[3];
        var bytes = File.ReadAllBytes(victim.FullPath);
        File.WriteAllBytes(victim.FullPath, bytes[..(bytes.Length / 2)]);

        // When / Then: default throws the image error
        var e = Assert.Throws<ImageDataException>(() => ds.LoadSplit(CubSplit.Train, 16));
        Assert.Equal(victim.FullPath, e.Path);
        Assert.Contains(victim.FullPath, e.Message);

        // When / Then: skip and count
        var split = ds.LoadSplit(CubSplit.Train, 16, new SplitLoadOptions(Parts: [RoiPart.Beak], SkipCorrupt: true));
        var skipped = Assert.Single(split.Skipped);
        Assert.Equal(victim.Id, skipped.ImageId);
        Assert.Equal(ds.Split(CubSplit.Train).Count - 1, split.Count);
        Assert.DoesNotContain(victim.Id, split.ImageIds);
        Assert.Equal(split.Count * 3 * 16 * 16, split.Pixels.Length);
        Assert.Equal(split.Count, split.Regions["beak"].Length);
    }
}
