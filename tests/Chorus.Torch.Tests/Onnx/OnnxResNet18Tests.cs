using System.Diagnostics;
using Chorus.Torch.Models;
using Chorus.Torch.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Onnx;

/// <summary>The pretrained ImageNet ResNet-18 (CNTK export, opset 8, file fixes batch 1) copied beside the tests.</summary>
public class OnnxResNet18Tests(ITestOutputHelper output)
{
    [Fact]
    public void ResNet18ImageNetPath_FileIsCopiedBesideTheAssembly()
    {
        var path = PretrainedModels.ResNet18ImageNetPath();
        Assert.EndsWith(Path.Combine("models", "resnet18-imagenet.onnx"), path);
        Assert.True(new FileInfo(path).Length > 40_000_000);
    }

    [Fact]
    public void Forward_Batch2_MatchesOrtWithin1e4()
    {
        var path = PretrainedModels.ResNet18ImageNetPath();
        using var model = OnnxModel.Load(path);
        Assert.Equal(512, model.NumClasses);
        Assert.Equal([1L, 3, 224, 224], model.InputShape);

        var input = BgrInput(2, 224, seed: 5);
        using var scope = NewDisposeScope();
        float[] ours;
        using (no_grad())
        {
            var y = model.Forward(tensor(input, [2, 3, 224, 224]));
            Assert.Equal([2L, 512, 1, 1], y.shape);
            ours = y.data<float>().ToArray();
        }

        // ORT refuses batch 2 on this file (it fixes N=1): one sample at a time.
        using var session = new InferenceSession(path);
        var ort = Enumerable.Range(0, 2)
            .SelectMany(n => OnnxTestGraph.RunOrt(session, input[(n * 3 * 224 * 224)..((n + 1) * 3 * 224 * 224)], [1, 3, 224, 224]).Data)
            .ToArray();
        var (abs, rel) = OnnxTestGraph.Error(ours, ort);
        output.WriteLine($"ResNet-18 vs ORT (batch 2): max abs {abs:E2}, rel {rel:E2} (max |ORT| {ort.Max(Math.Abs):F2})");
        Assert.True(rel <= 1e-4, $"max abs {abs}, relative {rel}");
    }

    [Fact]
    public void Forward_112_FailsWithFileLayout_WorksWithAnyImageSize()
    {
        using var fileLayout = OnnxModel.Load(PretrainedModels.ResNet18ImageNetPath());
        using var adapted = PretrainedModels.LoadResNet18ImageNet();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        // The file's fixed pads [1,1,0,0] make the 7×7 stage's residual branches 3×3 vs 4×4 at 112.
        var small = tensor(BgrInput(2, 112, seed: 6), [2, 3, 112, 112]);
        var ex = Assert.Throws<InvalidOperationException>(() => fileLayout.Forward(small));
        Assert.Contains("Add node", ex.Message);

        Assert.Equal([2L, 512, 1, 1], adapted.Forward(small).shape);
        Assert.Equal([1L, 512, 1, 1], adapted.Forward(tensor(BgrInput(1, 160, seed: 9), [1, 3, 160, 160])).shape);

        // At 224 both are the file's graph.
        var x = tensor(BgrInput(1, 224, seed: 7), [1, 3, 224, 224]);
        Assert.True(adapted.Forward(x).allclose(fileLayout.Forward(x), rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void ForwardWithLayer_ResNet18_GradientReachesTheInput()
    {
        using var model = PretrainedModels.LoadResNet18ImageNet(new OnnxLoadOptions(AnyImageSize: true, FlattenOutput: true));
        Assert.Equal("ReLU393_Output_0", model.DefaultCamLayer);
        using var scope = NewDisposeScope();
        var rgb = rand(1, 3, 64, 64).requires_grad_(true);
        var features = model.Forward(ImageNetPreprocessing.ResNet18Input(rgb), model.DefaultCamLayer, out var activation);
        Assert.Equal([1L, 512], features.shape);
        Assert.Equal([1L, 512, 2, 2], activation.shape);
        var grads = autograd.grad([features[0, features[0].argmax().item<long>()]], [activation, rgb]);
        Assert.True(grads[1].abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ResNet18Input_FromRgbUnit_IsBgr255MinusMean()
    {
        using var scope = NewDisposeScope();
        var rgb = tensor(new float[] { 1f, 0.5f, 0f }, [1, 3, 1, 1]);
        var bgr = ImageNetPreprocessing.ResNet18Input(rgb).data<float>().ToArray();
        Assert.Equal(0f - 103.06f, bgr[0], 3);
        Assert.Equal(127.5f - 115.90f, bgr[1], 3);
        Assert.Equal(255f - 123.15f, bgr[2], 3);
    }

    [Fact]
    public void Forward_Batch8_TimedAgainstOrt()
    {
        var path = PretrainedModels.ResNet18ImageNetPath();
        using var model = OnnxModel.Load(path);
        var input = BgrInput(8, 224, seed: 8);
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(OnnxTestGraph.WithDynamicBatch(path), options);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(input, [8, 3, 224, 224]);
        model.Forward(x).Dispose();                       // warm-up
        OnnxTestGraph.RunOrt(session, input, [8, 3, 224, 224]);
        // Best of 3 each (the machine is shared, so single timings are noisy).
        Tensor? y = null;
        float[] expected = [];
        var (ours, ort) = (long.MaxValue, long.MaxValue);
        for (var run = 0; run < 3; run++)
        {
            y?.Dispose();
            var watch = Stopwatch.StartNew();
            y = model.Forward(x);
            ours = Math.Min(ours, watch.ElapsedMilliseconds);
            watch.Restart();
            expected = OnnxTestGraph.RunOrt(session, input, [8, 3, 224, 224]).Data;
            ort = Math.Min(ort, watch.ElapsedMilliseconds);
        }

        var (abs, rel) = OnnxTestGraph.Error(y!.data<float>().ToArray(), expected);
        output.WriteLine($"ResNet-18 batch 8 @224, best of 3: ours {ours} ms (torch threads {get_num_threads()}), ORT {ort} ms (2 threads, full graph optimisation); max abs {abs:E2}, rel {rel:E2}");
        Assert.True(rel <= 1e-4);
    }

    /// <summary>Random RGB [0,1] images preprocessed to the model's BGR 0–255 minus mean input.</summary>
    private static float[] BgrInput(int n, int size, int seed)
    {
        using var scope = NewDisposeScope();
        var rgb = tensor(OnnxTestGraph.Random(n * 3 * size * size, seed), [n, 3, size, size]).add(1f).div(2f);
        return ImageNetPreprocessing.ResNet18Input(rgb).data<float>().ToArray();
    }
}
