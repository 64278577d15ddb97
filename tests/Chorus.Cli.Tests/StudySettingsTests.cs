using Chorus.Cli.Commands;
using Chorus.Study;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;

namespace Chorus.Cli.Tests;

/// <summary>How demo/train options become study settings: the internal batch that bounds explanation memory, and the layout.</summary>
public class StudySettingsTests
{
    [Theory]
    [InlineData(64, 50, 256)]     // the default demo: 50 steps × 16 images = 800 images, in passes of 256
    [InlineData(48, 16, null)]    // --quick: 16 steps × 16 images = 256 images of 48² px fit in one pass
    [InlineData(64, 5, null)]     // Gradient SHAP's 5 samples × 16 images
    [InlineData(96, 50, 113)]     // 1 Mpx / 96² px
    [InlineData(224, 50, 20)]
    [InlineData(224, 5, 20)]
    [InlineData(512, 50, 16)]     // never fewer than one batch of images
    public void InternalBatchFor_KeepsPixelsPerPassWithinTheBudget(int size, int passes, int? expected)
    {
        var batch = StudySettings.InternalBatchFor(size, passes);

        Assert.Equal(expected, batch);
        var imagesPerPass = batch ?? passes * StudySettings.ExplainBatch;
        Assert.True((long)imagesPerPass * size * size <= Math.Max(StudySettings.PassPixelBudget, (long)StudySettings.ExplainBatch * size * size));
    }

    [Fact]
    public void ToStudySettings_LargeImages_BoundIgAndGradientShapPasses_AndAnExplicitValueWins()
    {
        var large = new StudyCommandSettings { Size = 224 }.ToStudySettings();
        Assert.Equal(20, large.Attribution.IntegratedGradients.InternalBatchSize);
        Assert.Equal(20, large.Attribution.GradientShap.InternalBatchSize);
        Assert.Equal(MemoryLayout.ChannelsLast, large.Attribution.Layout);

        var defaults = new StudyCommandSettings().ToStudySettings();
        Assert.Equal(256, defaults.Attribution.IntegratedGradients.InternalBatchSize);
        Assert.Null(defaults.Attribution.GradientShap.InternalBatchSize);

        var given = new StudyCommandSettings { Size = 224, InternalBatchSize = 32, Layout = "nchw" }.ToStudySettings();
        Assert.Equal(32, given.Attribution.IntegratedGradients.InternalBatchSize);
        Assert.Equal(32, given.Attribution.GradientShap.InternalBatchSize);
        Assert.Equal(MemoryLayout.Contiguous, given.Attribution.Layout);
    }

    [Fact]
    public void ToStudySettings_PretrainedBackbone_GetsTheSweptRecipe_SmallCnnKeepsOneRate_ExplicitValuesWin()
    {
        var resnet = new StudyCommandSettings { Backbone = "resnet18-imagenet" }.ToStudySettings().Training;
        Assert.Equal(0.003, resnet.LearningRate, 12);
        Assert.Equal(0.0001, resnet.BackboneLearningRate!.Value, 12);
        Assert.Equal(0.5, resnet.WarmupEpochs);

        var small = new StudyCommandSettings().ToStudySettings().Training;
        Assert.Null(small.BackboneLearningRate);
        Assert.Null(small.WarmupEpochs);   // run folders from before keep their fingerprint

        var own = new StudyCommandSettings { Backbone = "resnet18-imagenet", Lr = 0.01, BackboneLr = 0.002, Warmup = 0 }.ToStudySettings().Training;
        Assert.Equal(0.002, own.BackboneLearningRate!.Value, 12);
        Assert.Null(own.WarmupEpochs);
        Assert.Equal(0.01 / 30, new StudyCommandSettings { Backbone = "resnet18", Lr = 0.01 }.ToStudySettings().Training.BackboneLearningRate!.Value, 12);
    }

    [Fact]
    public void ToStudySettings_PaperPreset_IsTheStudysSetting_AndEveryGivenOptionWins()
    {
        var paper = new StudyCommandSettings { Preset = "paper" }.ToStudySettings();
        Assert.Equal(224, paper.ImageSize);
        Assert.Equal((8, 640), (paper.Synth.Species, paper.Synth.Count));
        Assert.Equal(new BackboneSpec(BackboneSpec.ResNet18ImageNet, TrainStages: 1), paper.Backbone);
        Assert.Equal((11, 4, 0, 32), (paper.Training.Members, paper.Training.Epochs, paper.Training.PretrainEpochs, paper.Training.BatchSize));
        Assert.Equal(0.0001, paper.Training.BackboneLearningRate!.Value, 12);
        Assert.Equal(0.5, paper.Training.WarmupEpochs);
        Assert.True(paper.Training.CacheTrunk);
        Assert.Equal(24, paper.ExplainCount);
        Assert.Equal(50, paper.Attribution.IntegratedGradients.Steps);
        Assert.Equal("paper", paper.Preset);

        var own = new StudyCommandSettings { Preset = "paper", Members = 3, TrainStages = "all", Size = 112, Explain = 8 }.ToStudySettings();
        Assert.Equal((3, 112, 8), (own.Training.Members, own.ImageSize, own.ExplainCount));
        Assert.Null(own.Backbone.TrainStages);

        Assert.False(new StudyCommandSettings { Preset = "fast" }.Validate().Successful);
        Assert.False(new StudyCommandSettings { Preset = "paper", Quick = true }.Validate().Successful);
    }

    [Fact]
    public void Dropout_GoesIntoTheBackboneSpec_AndOutOfRangeIsAValidationError()
    {
        // Given / When
        var given = new StudyCommandSettings { Dropout = 0.2 }.ToStudySettings();
        var none = new StudyCommandSettings().ToStudySettings();

        // Then: recorded with the backbone (so the run's manifest rebuilds the same model); absent, the spec of before
        Assert.Equal(0.2, given.Backbone.Dropout);
        Assert.Equal("small-cnn[dropout=0.2]", given.Backbone.Describe());
        Assert.Equal(new BackboneSpec(), none.Backbone);
        Assert.True(new StudyCommandSettings { Dropout = 0.5 }.Validate().Successful);
        var error = new StudyCommandSettings { Dropout = 1 }.Validate();
        Assert.False(error.Successful);
        Assert.Contains("--dropout", error.Message);
        Assert.False(new StudyCommandSettings { Dropout = -0.1 }.Validate().Successful);
    }
}
