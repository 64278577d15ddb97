using Chorus.Data.Loading;

namespace Chorus.Data.Tests.Loading;

public class LoadedSplitTests
{
    [Fact]
    public void Gather_CopiesTheImagesAndLabelsAtTheIndices_InThatOrder()
    {
        // Given: three 1×1 images whose pixels are 10·i + channel
        var split = new LoadedSplit
        {
            Count = 3,
            Size = 1,
            ClassCount = 3,
            Pixels = [0, 1, 2, 10, 11, 12, 20, 21, 22],
            Labels = [0, 1, 2],
            ImageIds = [5, 6, 7],
            Regions = new Dictionary<string, Chorus.Data.Regions.RegionOfInterest?[]>(),
            Skipped = [],
        };

        // When
        var (pixels, labels) = split.Gather([2, 0, 2]);

        // Then
        Assert.Equal([20f, 21f, 22f, 0f, 1f, 2f, 20f, 21f, 22f], pixels);
        Assert.Equal([2, 0, 2], labels);
        pixels[0] = -1;
        Assert.Equal(20f, split.Pixels[6]);
        Assert.Empty(split.Gather([]).Pixels);
    }
}
