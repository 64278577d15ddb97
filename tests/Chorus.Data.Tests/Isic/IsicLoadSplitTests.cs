using Chorus.Data.Imaging;
using Chorus.Data.Isic;
using Chorus.Data.Loading;

namespace Chorus.Data.Tests.Isic;

public sealed class IsicLoadSplitTests : IDisposable
{
    private readonly IsicFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void LoadSplit_LesionMaskAtRequestedSize()
    {
        // Given: left half is lesion
        _f.Pair(IsicSplit.Training, "0000005", 16, 8);
        _f.Pair(IsicSplit.Validation, "0000006");
        _f.Csv("labels.csv", "image,label", "ISIC_0000005,b", "ISIC_0000006,a");
        var ds = IsicDataset.Load(_f.Root);

        // When
        var split = ds.LoadSplit(IsicSplit.Training, 4);

        // Then
        Assert.Equal(1, split.Count);
        Assert.Equal(4, split.Size);
        Assert.Equal(2, split.ClassCount);
        Assert.Equal([1], split.Labels);
        Assert.Equal([5], split.ImageIds);
        Assert.Equal(3 * 4 * 4, split.Pixels.Length);
        var roi = Assert.Single(split.Regions[IsicDataset.LesionRegion])!;
        Assert.Equal((4, 4), (roi.Width, roi.Height));
        Assert.Equal("lesion", roi.Part);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                Assert.Equal(x < 2, roi.Contains(x, y));
            }
        }
    }

    [Fact]
    public void LoadSplit_NonBinaryMask_ThrowsNamingMask_OrSkips()
    {
        // Given
        _f.FlatPair("0000001");
        _f.Image(string.Empty, "0000002");
        var bad = _f.Mask(string.Empty, "0000002", inside: 128);
        var ds = IsicDataset.Load(_f.Root);

        // When
        var e = Assert.Throws<ImageDataException>(() => ds.LoadSplit(IsicSplit.All, 4));
        var skipped = ds.LoadSplit(IsicSplit.All, 4, new SplitLoadOptions(SkipCorrupt: true));

        // Then
        Assert.Equal(bad, e.Path);
        Assert.Contains("not binary", e.Problem);
        Assert.Equal(1, skipped.Count);
        Assert.Equal(2, Assert.Single(skipped.Skipped).ImageId);
        Assert.Equal(1, skipped.ClassCount);
    }
}
