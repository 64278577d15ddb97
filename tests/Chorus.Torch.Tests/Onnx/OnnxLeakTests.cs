using Chorus.Torch.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Onnx;

[Collection("Sequential")]
public class OnnxLeakTests
{
    [Fact]
    public void Forward_InAScope_LeavesNoLiveTensors()
    {
        using var model = OnnxModel.Load(TestPaths.Golden("tinycnn", "model.onnx"));
        DisposeScopeManager.Statistics.Reset();
        using (var scope = NewDisposeScope())
        {
            var x = randn(2, 3, 32, 32).requires_grad_(true);
            var logits = model.Forward(x, "/relu2/Relu_output_0", out var activation);
            autograd.grad([logits[.., 0].sum()], [activation, x]);
            model.Forward(x);
        }

        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Forward_ReturnsOnlyItsResultsToTheCaller()
    {
        using var model = OnnxModel.Load(TestPaths.Golden("tinycnn", "model.onnx"));
        using var outer = NewDisposeScope();
        var x = randn(2, 3, 32, 32);
        DisposeScopeManager.Statistics.Reset();
        var y = model.Forward(x, "/relu2/Relu_output_0", out var activation);
        Assert.Equal(2, DisposeScopeManager.Statistics.ThreadTotalLiveCount);   // logits and activation
        y.Dispose();
        activation.Dispose();
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
