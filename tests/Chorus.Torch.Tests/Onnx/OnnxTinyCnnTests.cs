using System.Text.Json;
using Chorus.IO;
using Chorus.Torch.Onnx;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Onnx;

/// <summary>The golden tinycnn (PyTorch export, opset 13) against ONNX Runtime and the stored logits.</summary>
public class OnnxTinyCnnTests
{
    private const string CamLayer = "/relu2/Relu_output_0";
    private static readonly string ModelPath = TestPaths.Golden("tinycnn", "model.onnx");

    [Fact]
    public void Load_TinyCnn_DescribesTheGraph()
    {
        using var model = OnnxModel.Load(ModelPath);
        Assert.Equal(5, model.NumClasses);
        Assert.Equal(CamLayer, model.DefaultCamLayer);
        Assert.Contains(CamLayer, model.LayerNames);
        Assert.Equal("logits", model.LayerNames[^1]);
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Forward_TinyCnn_MatchesGoldenLogitsAndOrt()
    {
        var input = NpyArray.Load(TestPaths.Golden("tinycnn", "input.npy"));
        var golden = NpyArray.Load(TestPaths.Golden("tinycnn", "logits.npy"));
        using var manifest = JsonDocument.Parse(File.ReadAllText(TestPaths.Golden("tinycnn", "manifest.json")));
        var tol = manifest.RootElement.GetProperty("files").GetProperty("logits.npy");
        var (atol, rtol) = (tol.GetProperty("atol").GetDouble(), tol.GetProperty("rtol").GetDouble());

        using var model = OnnxModel.Load(ModelPath);
        using var scope = NewDisposeScope();
        float[] ours;
        using (no_grad())
        {
            ours = model.Forward(tensor(input.Floats, input.Shape)).data<float>().ToArray();
        }

        for (var i = 0; i < ours.Length; i++)
        {
            Assert.True(Math.Abs(ours[i] - golden.Floats[i]) <= atol + (rtol * Math.Abs(golden.Floats[i])), $"logit {i}: {ours[i]} vs {golden.Floats[i]}");
        }

        var (ort, _) = OnnxTestGraph.RunOrt(File.ReadAllBytes(ModelPath), input.Floats, input.Shape);
        var (abs, rel) = OnnxTestGraph.Error(ours, ort);
        Console.WriteLine($"tinycnn vs ORT: max abs {abs:E2}, rel {rel:E2}");
        Assert.True(rel <= 1e-5, $"max abs {abs}, rel {rel}");
    }

    [Fact]
    public void InputGradient_TinyCnn_MatchesFiniteDifferences()
    {
        var input = NpyArray.Load(TestPaths.Golden("tinycnn", "input.npy"));
        using var model = OnnxModel.Load(ModelPath);
        using var scope = NewDisposeScope();
        var x = tensor(input.Floats, input.Shape)[0..1].clone().to(ScalarType.Float32);
        var leaf = x.detach().requires_grad_(true);
        var grad = autograd.grad([model.Forward(leaf)[0, 2]], [leaf])[0];
        Assert.True(grad.abs().sum().item<float>() > 0);

        // Central differences on the largest-gradient coordinates (float32: loose tolerance).
        var flat = grad.flatten();
        var top = flat.abs().topk(8).indexes.data<long>().ToArray();
        using var noGrad = no_grad();
        const float h = 1e-2f;
        foreach (var i in top)
        {
            var plus = x.flatten().clone();
            plus[i] += h;
            var minus = x.flatten().clone();
            minus[i] -= h;
            var fd = (model.Forward(plus.reshape(x.shape))[0, 2] - model.Forward(minus.reshape(x.shape))[0, 2]).item<float>() / (2 * h);
            var analytic = flat[i].item<float>();
            Assert.True(Math.Abs(fd - analytic) <= 2e-3 + (0.05 * Math.Abs(analytic)), $"coordinate {i}: finite difference {fd} vs autograd {analytic}");
        }
    }

    [Fact]
    public void ForwardWithLayer_ReluActivation_GivesGradientOfTargetLogit()
    {
        var input = NpyArray.Load(TestPaths.Golden("tinycnn", "input.npy"));
        using var model = OnnxModel.Load(ModelPath);
        using var scope = NewDisposeScope();
        var x = tensor(input.Floats, input.Shape);
        var logits = model.Forward(x, CamLayer, out var activation);
        Assert.Equal(4, activation.shape.Length);
        Assert.Equal([x.shape[0], activation.shape[1], 16, 16], activation.shape);
        var target = logits[.., 1].sum();
        var grad = autograd.grad([target], [activation])[0];
        Assert.Equal(activation.shape, grad.shape);
        Assert.True(grad.abs().sum().item<float>() > 0);

        // The same logits as the plain forward.
        using var noGrad = no_grad();
        Assert.True(logits.allclose(model.Forward(x), rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void ForwardWithLayer_UnknownName_ThrowsArgumentException()
    {
        using var model = OnnxModel.Load(ModelPath);
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 3, 32, 32), "/nope", out _));
        Assert.Contains("/nope", ex.Message);
    }

    [Fact]
    public void Forward_WrongChannelsOrRank_ThrowsClearArgumentException()
    {
        using var model = OnnxModel.Load(ModelPath);
        using var scope = NewDisposeScope();
        var channels = Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 1, 32, 32)));
        Assert.Contains("3 channels", channels.Message);
        var rank = Assert.Throws<ArgumentException>(() => model.Forward(zeros(3, 32, 32)));
        Assert.Contains("rank 4", rank.Message);
    }

    [Fact]
    public void Load_FeaturesTensor_CutsTheGraph()
    {
        using var model = OnnxModel.Load(ModelPath, new OnnxLoadOptions(FeaturesTensor: CamLayer));
        using var scope = NewDisposeScope();
        var y = model.Forward(zeros(2, 3, 32, 32));
        Assert.Equal(CamLayer, model.LayerNames[^1]);
        Assert.Equal(4, y.shape.Length);
        Assert.Equal(16, y.shape[2]);
        Assert.Equal((int)y.shape[1], model.NumClasses);
        using var full = OnnxModel.Load(ModelPath);
        Assert.True(model.parameters().Count() < full.parameters().Count());
    }

    [Fact]
    public void Load_NotTrainable_ParametersDoNotRequireGrad()
    {
        using var model = OnnxModel.Load(ModelPath, new OnnxLoadOptions(TrainableParameters: false));
        Assert.NotEmpty(model.parameters());
        Assert.DoesNotContain(model.parameters(), p => p.requires_grad);
    }
}
