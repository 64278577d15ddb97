using Chorus.Torch.Attribution;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

[Collection("Sequential")]
public class LeakTests
{
    public static TheoryData<string> AllMethods => BatchingTests.AllMethods;

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Attribute_AnyMethod_LeavesOnlyTheResult(string name)
    {
        // Given
        using var model = Cnn();
        using var x = Randn(91, 2, 3, 8, 8);
        using var t = Targets(0, 1);
        using var g = new Generator(5);
        var method = Create(name, g);

        // When
        DisposeScopeManager.Statistics.Reset();
        var result = method.Attribute(model, x, t);
        var liveWithResult = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        result.Dispose();

        // Then
        Assert.Equal(1, liveWithResult);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void IntegratedGradientsWithDelta_FusedPass_ToMaps_LeaveNothingBehind()
    {
        using var model = Cnn();
        using var x = Randn(92, 2, 3, 8, 8);
        using var t = Targets(0, 1);

        DisposeScopeManager.Statistics.Reset();
        var attr = new IntegratedGradients(new IntegratedGradientsOptions(5, InternalBatchSize: 4)).Attribute(model, x, t, out var delta);
        Assert.Equal(2, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        var maps = SaliencyMaps.ToMaps(attr, MapReduction.L2);
        attr.Dispose();
        delta.Dispose();
        Assert.Equal(2, maps.Count);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        var fused = FusedGradientPass.Compute(model, x, t);
        Assert.Equal(3, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        fused.Dispose();
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Attribute_BadArgument_LeavesNothingBehind()
    {
        using var model = Cnn();
        using var x = Randn(93, 2, 3, 8, 8);
        using var t = Targets(0, 9);
        DisposeScopeManager.Statistics.Reset();
        Assert.ThrowsAny<ArgumentException>(() => new IntegratedGradients().Attribute(model, x, t));
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
