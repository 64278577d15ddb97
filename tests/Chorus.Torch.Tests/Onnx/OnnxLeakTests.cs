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

[Collection("Sequential")]
public class OnnxLifetimeTests
{
    [Fact]
    public void Load_InsideADisposeScope_ModelOutlivesTheScope()
    {
        OnnxModel model;
        DisposeScopeManager.Statistics.Reset();
        using (var scope = NewDisposeScope())
        {
            model = OnnxModel.Load(TestPaths.Golden("tinycnn", "model.onnx"));
        }

        using (model)
        {
            using var scope = NewDisposeScope();
            Assert.Equal([2L, 5], model.Forward(zeros(2, 3, 32, 32)).shape);
            Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        }

        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
