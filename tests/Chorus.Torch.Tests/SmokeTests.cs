using static TorchSharp.torch;

namespace Chorus.Torch.Tests;

public class SmokeTests
{
    [Fact]
    public void Libtorch_Loads_AndComputesGradient()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1f, 2f, 3f }).requires_grad_(true);
        var y = (x * x).sum();
        var g = TorchSharp.torch.autograd.grad([y], [x])[0];
        Assert.Equal(new float[] { 2f, 4f, 6f }, g.data<float>().ToArray());
    }
}
