using Chorus.Torch.Models;
using Chorus.Torch.Tests.Training;
using Chorus.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Models;

// Seeds libtorch's global generator: runs alone so no parallel test draws from it in between.
[Collection("Sequential")]
public class BackboneClassifierTests
{
    [Fact]
    public void TorchVisionResNet18_StateDictKeys_ArePyTorchNames()
    {
        // Given
        using var backbone = TorchVisionBackbone.Create("resnet18");

        // When
        var keys = backbone.Module.state_dict().Keys.ToHashSet();

        // Then
        foreach (var k in new[] { "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "layer1.0.conv1.weight", "layer1.0.bn2.running_var", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_mean", "layer4.1.conv2.weight", "fc.weight", "fc.bias" })
        {
            Assert.Contains(k, keys);
        }

        Assert.Equal(5, backbone.Stages.Count);
        Assert.All(backbone.Stages[4], n => Assert.StartsWith("layer4.", n));
    }

    [Fact]
    public void Forward_ResNet18Backbone_LogitsLayersAndFeatures()
    {
        // Given
        torch.manual_seed(1);
        using var model = new BackboneSpec("resnet18").Create(3);
        model.Module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(2, 3, 32, 32);

        // When
        var logits = model.Forward(x);
        var same = model.Forward(x, model.DefaultCamLayer, out var cam);
        model.Forward(x, BackboneClassifier.FeaturesLayer, out var features);

        // Then
        Assert.Equal([2L, 3], logits.shape);
        Assert.Equal("layer4", model.DefaultCamLayer);
        Assert.Equal([2L, 512, 1, 1], cam.shape);
        Assert.Equal([2L, 512], features.shape);
        Assert.True(logits.allclose(same));
        Assert.Contains("features", model.LayerNames);
        Assert.Throws<ArgumentException>(() => model.Forward(x, "nope", out _));
    }

    [Fact]
    public void TrainStages1_OnlyLastStageAndHeadTrain_FrozenBatchNormStaysInEval()
    {
        // Given
        using var model = (BackboneClassifier)new BackboneSpec("resnet18", TrainStages: 1).Create(3);

        // When
        model.train();
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();

        // Then
        Assert.NotEmpty(trainable);
        Assert.All(trainable, n => Assert.True(n.StartsWith("backbone.layer4.", StringComparison.Ordinal) || n.StartsWith("head.", StringComparison.Ordinal), n));
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        Assert.False(modules["backbone.bn1"].training);
        Assert.False(modules["backbone.layer3.1.bn2"].training);
        Assert.True(modules["backbone.layer4.1.bn2"].training);
        Assert.True(modules["head"].training);
    }

    [Fact]
    public void ResetHead_SameGeneratorSameHead_BackboneUntouched()
    {
        // Given
        torch.manual_seed(3);
        using var a = (BackboneClassifier)new BackboneSpec("resnet18", TrainStages: 0).Create(4);
        using var scope = NewDisposeScope();
        var conv = a.Backbone.Module.state_dict()["conv1.weight"].clone();

        // When
        using (var g = new Generator(7))
        {
            a.ResetHead(g);
        }

        var first = a.Head.weight!.clone();
        using (var g = new Generator(7))
        {
            a.ResetHead(g);
        }

        var again = a.Head.weight!.clone();
        using (var g = new Generator(8))
        {
            a.ResetHead(g);
        }

        // Then
        Assert.True(first.allclose(again, rtol: 0, atol: 0));
        Assert.False(first.allclose(a.Head.weight!));
        Assert.True(conv.allclose(a.Backbone.Module.state_dict()["conv1.weight"], rtol: 0, atol: 0));
        Assert.True(a.Head.weight!.abs().max().item<float>() <= 1 / Math.Sqrt(512) + 1e-6);
    }

    [Fact]
    public void Train_BackboneLearningRateZero_BackboneUnchangedHeadLearns()
    {
        // Given
        var dir = TestPaths.TempDir();
        using var train = EnsembleTrainerTests.QuadrantSet(32, 32, 1);
        var spec = new BackboneSpec("resnet18");
        var options = new TrainingOptions(Members: 1, Epochs: 1, BatchSize: 16, LearningRate: 1e-2, HorizontalFlip: false, BackboneLearningRate: 0);

        // When
        new EnsembleTrainer(() => spec.Create(4), options, spec.Describe()).Train(dir, train, null);

        // Then
        var (init, _) = Chorus.Torch.Checkpoints.SafeTensors.Load(Path.Combine(dir, "shared-init.safetensors"));
        var (member, _) = Chorus.Torch.Checkpoints.SafeTensors.Load(EnsembleTrainer.CheckpointPath(dir, 0));
        try
        {
            Assert.True(init["backbone.layer4.1.conv2.weight"].allclose(member["backbone.layer4.1.conv2.weight"], rtol: 0, atol: 0));
            Assert.False(init["head.weight"].allclose(member["head.weight"]));
        }
        finally
        {
            foreach (var t in init.Values.Concat(member.Values))
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void Preprocess_ImageNetRgb_NormalisesPerChannel()
    {
        using var scope = NewDisposeScope();
        var x = full(new long[] { 1, 3, 2, 2 }, 0.485f);
        var y = BackboneClassifier.Preprocess(x, InputPreprocessing.ImageNetRgb);
        Assert.Equal(0f, y[0, 0].abs().max().item<float>(), 5);
        Assert.Equal((0.485f - 0.406f) / 0.225f, y[0, 2, 0, 0].item<float>(), 4);
    }

    [Fact]
    public void BackboneSpec_Validate_RejectsUnknownAndMisplacedOptions()
    {
        Assert.Throws<ArgumentException>(() => new BackboneSpec("vgg16").Validate());
        Assert.Throws<ArgumentException>(() => new BackboneSpec("resnet18", FeaturesTensor: "x").Validate());
        Assert.Throws<ArgumentException>(() => new BackboneSpec(BackboneSpec.ResNet18ImageNet, Weights: "w.pt").Validate());
        new BackboneSpec("onnx:model.onnx", FeaturesTensor: "x").Validate();
    }

    [Fact]
    public void ResNet18ImageNet_StagesByResolution_LastStageTrainsAndCamLayerIsTheLastRelu()
    {
        // Given (the only test here that loads the 45 MB ONNX file)
        using var model = (BackboneClassifier)new BackboneSpec(BackboneSpec.ResNet18ImageNet, TrainStages: 1).Create(5);
        var backbone = (OnnxFeatureBackbone)model.Backbone;

        // When
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        var layer4 = backbone.Stages[^1].Count;
        using var scope = NewDisposeScope();
        var logits = model.Forward(rand(2, 3, 112, 112), model.DefaultCamLayer, out var cam);

        // Then: stem, layer1..layer4 (conv1, BN scale/shift: 62 float parameter tensors in all).
        Assert.Equal(5, backbone.Stages.Count);
        Assert.Equal("ReLU393_Output_0", model.DefaultCamLayer);
        Assert.Equal(layer4 + 2, trainable.Count);
        Assert.Equal([2L, 5], logits.shape);
        Assert.Equal([2L, 512, 4, 4], cam.shape);
        Assert.Equal(InputPreprocessing.Bgr255MeanSubtracted, model.Preprocessing);
    }
}
