using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

public class SideEffectTests
{
    [Theory]
    [MemberData(nameof(BatchingTests.AllMethods), MemberType = typeof(BatchingTests))]
    public void Attribute_AnyMethod_LeavesModelInputAndParameterGradsUntouched(string name)
    {
        // Given
        using var model = Cnn();
        using var x = Randn(101, 2, 3, 8, 8);
        var before = Values(x);
        using var t = Targets(3, 0);
        using var g = new Generator(2);

        // When: called under no_grad, as inference code often is
        using (torch.no_grad())
        {
            using var result = Create(name, g).Attribute(model, x, t);
        }

        // Then
        Assert.All(model.parameters(), p => Assert.True(p.grad is null, "a parameter gradient was accumulated"));
        Assert.False(model.training);
        Assert.False(x.requires_grad);
        Assert.Equal(before, Values(x));
    }
}
