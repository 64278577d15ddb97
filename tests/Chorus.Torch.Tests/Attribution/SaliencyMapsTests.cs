using Chorus.Torch.Attribution;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class SaliencyMapsTests
{
    // One image, 2 channels, 1×2 pixels: channel 0 = [3, -1], channel 1 = [-4, 2]
    private static Tensor Sample() => tensor(new float[] { 3, -1, -4, 2 }).view(1, 2, 1, 2);

    [Theory]
    [InlineData(MapReduction.Sum, new[] { -1f, 1f })]
    [InlineData(MapReduction.SumAbs, new[] { 7f, 3f })]
    [InlineData(MapReduction.MaxAbs, new[] { 4f, 2f })]
    [InlineData(MapReduction.L2, new[] { 5f, 2.236068f })]
    public void Reduce_OverChannels_MatchesDefinition(MapReduction reduction, float[] expected)
    {
        using var a = Sample();
        using var r = SaliencyMaps.Reduce(a, reduction);
        Assert.Equal([1L, 1, 1, 2], r.shape);
        var v = Values(r);
        Assert.Equal(expected[0], v[0], 1e-6f);
        Assert.Equal(expected[1], v[1], 1e-6f);
    }

    [Fact]
    public void ToMaps_Batch_OneRowMajorMapPerImage()
    {
        using var a = arange(2 * 3 * 2 * 4, dtype: ScalarType.Float32).view(2, 3, 2, 4);
        var maps = SaliencyMaps.ToMaps(a, MapReduction.Sum);
        Assert.Equal(2, maps.Count);
        Assert.Equal(2, maps[1].Height);
        Assert.Equal(4, maps[1].Width);

        // image 1, (y=1, x=2): Σ_c (24 + c·8 + 6) = 30 + 38 + 46
        Assert.Equal(114f, maps[1][1, 2]);
        Assert.Equal(0f + 8 + 16, maps[0][0, 0]);
    }

    [Fact]
    public void ToMaps_WrongRank_NamesArgument()
    {
        using var a = zeros(3, 4);
        Assert.Equal("attributions", Assert.Throws<ArgumentException>(() => SaliencyMaps.ToMaps(a, MapReduction.Sum)).ParamName);
    }
}
