using Chorus.Explanations;
using Chorus.Torch.Faithfulness;
using Chorus.Torch.Tests.TestModels;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static Chorus.Torch.Tests.Faithfulness.DeletionInsertionTests;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Faithfulness;

[Collection("Sequential")]
public class DeletionInsertionValidationTests
{
    [Fact]
    public void Compute_LeavesNoTensorBehind()
    {
        using var model = new TinyCnn(3, 4);
        using var x = Randn(31, 2, 3, 8, 8);
        using var t = Targets(0, 1);
        var maps = RandomMaps(2, seed: 2);

        DisposeScopeManager.Statistics.Reset();
        var curves = DeletionInsertion.Compute(model, x, t, maps, new FaithfulnessOptions(Steps: 8, BatchSize: 5));

        Assert.Equal(2, curves.Count);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Compute_BadArgument_LeavesNoTensorBehind()
    {
        using var model = new TinyCnn(3, 4);
        using var x = Randn(32, 2, 3, 8, 8);
        using var t = Targets(0, 9);
        DisposeScopeManager.Statistics.Reset();
        Assert.ThrowsAny<ArgumentException>(() => DeletionInsertion.Compute(model, x, t, RandomMaps(2, seed: 2)));
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Compute_WrongNumberOfMaps_NamesMaps()
    {
        using var model = new TinyCnn(3, 4);
        using var x = Randn(33, 2, 3, 8, 8);
        using var t = Targets(0, 1);
        var e = Assert.Throws<ArgumentException>(() => DeletionInsertion.Compute(model, x, t, RandomMaps(3, seed: 2)));
        Assert.Equal("maps", e.ParamName);
    }

    [Fact]
    public void Compute_MapSizeDiffersFromInput_NamesMaps()
    {
        using var model = new TinyCnn(3, 4);
        using var x = Randn(34, 2, 3, 8, 8);
        using var t = Targets(0, 1);
        var maps = new[] { RandomMaps(1, seed: 2)[0], RandomMaps(1, seed: 2, h: 8, w: 7)[0] };
        var e = Assert.Throws<ArgumentException>(() => DeletionInsertion.Compute(model, x, t, maps));
        Assert.Equal("maps", e.ParamName);
        Assert.Contains("Map 1", e.Message);
    }

    [Fact]
    public void Compute_NaNInMap_NamesMaps()
    {
        using var model = new TinyCnn(3, 4);
        using var x = Randn(35, 1, 3, 8, 8);
        using var t = Targets(0);
        var map = RandomMaps(1, seed: 2)[0];
        map.Values[5] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => DeletionInsertion.Compute(model, x, t, [map]));
        Assert.Equal("maps", e.ParamName);
    }

    [Fact]
    public void Compute_NaNInInput_NamesInput()
    {
        using var model = new TinyCnn(3, 4);
        using var x = Randn(36, 1, 3, 8, 8);
        using (torch.no_grad())
        {
            x[0, 1, 2, 3] = torch.tensor(float.NaN);
        }

        using var t = Targets(0);
        var e = Assert.Throws<ArgumentException>(() => DeletionInsertion.Compute(model, x, t, RandomMaps(1, seed: 2)));
        Assert.Equal("input", e.ParamName);
    }

    [Theory]
    [InlineData(4L)]
    [InlineData(-1L)]
    public void Compute_TargetOutOfRange_NamesTarget(long bad)
    {
        using var model = new TinyCnn(3, 4);
        using var x = Randn(37, 2, 3, 8, 8);
        using var t = Targets(0, bad);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DeletionInsertion.Compute(model, x, t, RandomMaps(2, seed: 2)));
        Assert.Equal("target", e.ParamName);
    }

    [Theory]
    [InlineData(0, null, 64, "Steps")]
    [InlineData(50, 0, 64, "PixelsPerStep")]
    [InlineData(50, null, 0, "BatchSize")]
    public void Validate_OutOfRange_NamesTheOption(int steps, int? pixelsPerStep, int batchSize, string name)
    {
        var options = new FaithfulnessOptions(Steps: steps, PixelsPerStep: pixelsPerStep, BatchSize: batchSize);
        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Baselines_BadValues_AreRejected()
    {
        Assert.Equal("kernelSize", Assert.Throws<ArgumentOutOfRangeException>(() => FaithfulnessBaseline.Blur(4)).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentException>(() => FaithfulnessBaseline.Constant(double.NaN)).ParamName);
    }
}
