using Chorus.Torch.Checkpoints;
using Chorus.Torch.Models;
using Chorus.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Training;

[Collection("Sequential")]
public class TrunkFeaturesTests
{
    private static BackboneClassifier ResNet(int? trainStages, InputPreprocessing? preprocessing = null) =>
        (BackboneClassifier)new BackboneSpec(BackboneSpec.ResNet18ImageNet, TrainStages: trainStages, Preprocessing: preprocessing).Create(4);

    [Theory]
    [InlineData(1, new long[] { 3, 256, 2, 2 })]
    [InlineData(2, new long[] { 3, 128, 4, 4 })]
    [InlineData(0, new long[] { 3, 512, 1, 1 })]
    public void ResNet18ImageNet_FrozenStages_SplitAtTheStageBoundary_AndTheTwoPartsGiveTheLogits(int trainStages, long[] cutShape)
    {
        // Given
        torch.manual_seed(3);
        using var model = ResNet(trainStages);
        model.eval();
        using var scope = NewDisposeScope();
        var x = rand(3, 3, 32, 32);

        // When
        var trunk = model.TrunkForward(x);
        var logits = model.ForwardFromTrunk(trunk);

        // Then
        Assert.NotNull(model.TrunkCut);
        Assert.Equal(cutShape, trunk.shape);
        Assert.False(trunk.requires_grad);
        var expected = model.Forward(x);
        Assert.True(allclose(expected, logits, rtol: 1e-4, atol: 1e-4), $"max diff {(expected - logits).abs().max().item<float>()}");
    }

    [Fact]
    public void AllStagesTrained_NoTrunk()
    {
        using var model = ResNet(null);
        Assert.Null(model.TrunkCut);
        Assert.Throws<InvalidOperationException>(() => model.TrunkForward(zeros(1, 3, 32, 32)));
    }

    [Fact]
    public void Training_FromCachedTrunk_GivesTheWeightsOfTheUncachedPath_AndReusesTheFileOnDisk()
    {
        // Given: ImageNet ResNet-18 with its last stage trained, flips on (both orientations are cached)
        using var train = EnsembleTrainerTests.QuadrantSet(12, 32, 5);
        var options = new TrainingOptions(Members: 2, Epochs: 2, BatchSize: 4, BackboneLearningRate: 1e-4) { WarmupEpochs = 0.5 };
        var cache = TestPaths.TempDir();
        var cached = new EnsembleTrainer(() => ResNet(1), options, "r18", cache);
        var plain = new EnsembleTrainer(() => ResNet(1), options with { CacheTrunk = false }, "r18");
        var dirA = TestPaths.TempDir();
        var dirB = TestPaths.TempDir();

        // When
        cached.Train(dirA, train, null);
        var usedA = cached.TrunkCacheUse;
        plain.Train(dirB, train, null);
        var usedB = plain.TrunkCacheUse;

        // Then: one cache file, the same member weights to float rounding
        Assert.Equal((true, false), usedA);
        Assert.Equal((false, false), usedB);
        Assert.Single(Directory.GetFiles(cache, "trunk-*.npy"));
        for (var m = 0; m < 2; m++)
        {
            using var a = ResNet(1);
            using var b = ResNet(1);
            ModuleCheckpoint.Load(a, EnsembleTrainer.CheckpointPath(dirA, m));
            ModuleCheckpoint.Load(b, EnsembleTrainer.CheckpointPath(dirB, m));
            var pb = b.state_dict();
            var changed = 0;
            using var init = ResNet(1);
            ModuleCheckpoint.Load(init, Path.Combine(dirA, "shared-init.safetensors"));
            var pi = init.state_dict();
            foreach (var (name, ta) in a.state_dict())
            {
                var diff = (ta - pb[name]).abs().max().item<float>();
                Assert.True(diff <= 1e-4f + (1e-3f * pb[name].abs().max().item<float>()), $"member {m} {name}: max diff {diff}");
                if (!ta.allclose(pi[name], 0, 0))
                {
                    changed++;
                }
            }

            Assert.True(changed > 2, "training must change the last stage, not only the head");
        }

        // When: the same training again in a new run folder
        var again = new EnsembleTrainer(() => ResNet(1), options, "r18", cache);
        again.Train(TestPaths.TempDir(), train, null);

        // Then: the trunk came from disk
        Assert.Equal((true, true), again.TrunkCacheUse);
        Assert.Single(Directory.GetFiles(cache, "trunk-*.npy"));
    }

    [Fact]
    public void CacheKey_ChangesWithStagesPreprocessingWeightsImagesAndFlips()
    {
        using var images = rand(2, 3, 32, 32);
        using var stage1 = ResNet(1);
        using var stage1Again = ResNet(1);
        using var stage2 = ResNet(2);
        using var rgb = ResNet(1, InputPreprocessing.ImageNetRgb);
        using var other = rand(2, 3, 32, 32);

        var key = TrunkFeatures.KeyOf(stage1, images, flips: true);

        Assert.Equal(key, TrunkFeatures.KeyOf(stage1Again, images, flips: true));
        Assert.NotEqual(key, TrunkFeatures.KeyOf(stage2, images, flips: true));
        Assert.NotEqual(key, TrunkFeatures.KeyOf(rgb, images, flips: true));
        Assert.NotEqual(key, TrunkFeatures.KeyOf(stage1, other, flips: true));
        Assert.NotEqual(key, TrunkFeatures.KeyOf(stage1, images, flips: false));
        using (no_grad())
        {
            stage1Again.Backbone.Module.parameters().First().add_(1e-3f);
        }

        Assert.NotEqual(key, TrunkFeatures.KeyOf(stage1Again, images, flips: true));
    }

    [Fact]
    public void CorruptCacheFile_IsReportedAndComputedAgain()
    {
        using var model = ResNet(1);
        using var images = rand(3, 3, 32, 32);
        var cache = TestPaths.TempDir();
        using var first = TrunkFeatures.Compute(model, images, flips: false, cache);
        var path = TrunkFeatures.PathFor(cache, first.Key);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
        var log = new List<string>();

        using var second = TrunkFeatures.Compute(model, images, flips: false, cache, log: log.Add);

        Assert.False(second.FromDisk);
        Assert.Contains(log, l => l.Contains(path, StringComparison.Ordinal));
        using var index = tensor(new long[] { 0, 1, 2 });
        using var a = first.Batch(index, null);
        using var b = second.Batch(index, null);
        Assert.True(a.allclose(b, 0, 0));
    }
}
