using Chorus.Torch.Checkpoints;
using Chorus.Torch.Models;
using Chorus.Torch.Training;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Training;

// Seeds libtorch's global generator: runs alone so no parallel test draws from it in between.
[Collection("Sequential")]
public class EnsembleKindTests
{
    private static readonly int[] Widths = [4, 8, 8, 8];

    private static SmallCnn Small() => new(4, widths: Widths);

    private static Dictionary<string, Tensor> State(string checkpoint) => SafeTensors.Load(checkpoint).Tensors;

    private static double MaxDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }

    [Fact]
    public void Snapshot_OneRun_SavesNMembersEachContinuingThePrevious()
    {
        // Given a snapshot ensemble of 3: member 0 trains 2 epochs, members 1 and 2 one cycle of 1 epoch each
        var dir = TestPaths.TempDir();
        using var train = EnsembleTrainerTests.QuadrantSet(64, 16, 1);
        using var test = EnsembleTrainerTests.QuadrantSet(24, 16, 2);
        var options = new TrainingOptions(Members: 3, Epochs: 2, BatchSize: 16, LearningRate: 1e-2, HorizontalFlip: false) { Ensemble = EnsembleKind.Snapshot };

        // When
        var results = new EnsembleTrainer(Small, options, "small-cnn").Train(dir, train, test);

        // Then: three members from one run, each a new point of the trajectory
        Assert.Equal([0, 1, 2], results.Select(r => r.Index));
        Assert.All(results, r => Assert.False(r.Resumed));
        var states = Enumerable.Range(0, 3).Select(m => State(EnsembleTrainer.CheckpointPath(dir, m))).ToList();
        for (var m = 1; m < 3; m++)
        {
            Assert.True(MaxDiff(states[m]["head.weight"], states[m - 1]["head.weight"]) > 1e-4, $"snapshot {m} must move on from snapshot {m - 1}");
        }

        Assert.Equal("snapshot", SafeTensors.Load(EnsembleTrainer.CheckpointPath(dir, 2)).Metadata["ensemble"]);
        Assert.All(results, r => Assert.True(r.TrainAccuracy > 0.5, $"member {r.Index}: {r.TrainAccuracy} (chance 0.25)"));

        // and a second call resumes every member
        Assert.All(new EnsembleTrainer(Small, options, "small-cnn").Train(dir, train, test), r => Assert.True(r.Resumed));
    }

    [Fact]
    public void Snapshot_WithATinyRate_MemberStartsFromItsPredecessorNotAFreshHead()
    {
        // Given a rate so small that training barely moves the weights
        using var train = EnsembleTrainerTests.QuadrantSet(32, 16, 1);
        var frozen = new TrainingOptions(Members: 2, Epochs: 1, BatchSize: 16, LearningRate: 1e-9, WeightDecay: 0, HorizontalFlip: false);
        var snapshotDir = TestPaths.TempDir();
        var independentDir = TestPaths.TempDir();

        // When
        new EnsembleTrainer(Small, frozen with { Ensemble = EnsembleKind.Snapshot }, "small-cnn").Train(snapshotDir, train, null);
        new EnsembleTrainer(Small, frozen, "small-cnn").Train(independentDir, train, null);

        // Then: snapshot 1 is snapshot 0 continued (same head), where independent member 1 drew its own head
        Assert.True(MaxDiff(State(EnsembleTrainer.CheckpointPath(snapshotDir, 1))["head.weight"], State(EnsembleTrainer.CheckpointPath(snapshotDir, 0))["head.weight"]) < 1e-5);
        Assert.True(MaxDiff(State(EnsembleTrainer.CheckpointPath(independentDir, 1))["head.weight"], State(EnsembleTrainer.CheckpointPath(independentDir, 0))["head.weight"]) > 1e-2);
    }

    [Fact]
    public void Snapshot_MemberWithoutItsPredecessor_ClearError()
    {
        var dir = TestPaths.TempDir();
        using var train = EnsembleTrainerTests.QuadrantSet(16, 16, 1);
        var options = new TrainingOptions(Members: 3, Epochs: 1, BatchSize: 16) { Ensemble = EnsembleKind.Snapshot };

        var e = Assert.Throws<ChorusException>(() => new EnsembleTrainer(Small, options, "small-cnn").Train(dir, train, null, members: new Runs.MemberRange(1, 2)));

        Assert.Contains("continues member 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MultiHead_ForwardEqualsNSeparateHeads()
    {
        // Given a body and three heads, each initialised from its own seed
        manual_seed(3);
        using var body = Small();
        body.eval();
        using var multi = new MultiHeadClassifier(body, 3);
        for (var k = 0; k < 3; k++)
        {
            using var g = new Generator((ulong)(100 + k));
            multi.ResetHead(k, g);
        }

        using var scope = NewDisposeScope();
        var x = rand(5, 3, 16, 16);

        // When one pass gives every head's logits
        var all = multi.call(x);

        // Then each equals the body with its head replaced by that head, run on its own
        Assert.Equal([5L, 3L, 4L], all.shape);
        for (var k = 0; k < 3; k++)
        {
            multi.CopyHeadInto(k);
            var alone = body.Forward(x);
            Assert.True(MaxDiff(all.select(1, k), alone) < 1e-6, $"head {k}");
        }

        Assert.True(MaxDiff(all.select(1, 0), all.select(1, 1)) > 1e-3, "heads must differ");
    }

    [Fact]
    public void MultiHead_BodyWithDropout_HeadsSeeItInTrainModeOnly()
    {
        manual_seed(4);
        using var body = new SmallCnn(4, widths: Widths, dropout: 0.5);
        using var multi = new MultiHeadClassifier(body, 2);
        using var scope = NewDisposeScope();
        var x = rand(4, 3, 16, 16);

        multi.eval();
        Assert.True(MaxDiff(multi.call(x), multi.call(x)) == 0);
        multi.train();
        Assert.True(MaxDiff(multi.call(x), multi.call(x)) > 1e-4);
    }

    [Fact]
    public void MultiHead_Trainer_SavesMembersSharingOneBackbone()
    {
        // Given
        var dir = TestPaths.TempDir();
        using var train = EnsembleTrainerTests.QuadrantSet(64, 16, 1);
        using var test = EnsembleTrainerTests.QuadrantSet(24, 16, 2);
        var options = new TrainingOptions(Members: 3, Epochs: 4, BatchSize: 16, LearningRate: 1e-2, HorizontalFlip: false) { Ensemble = EnsembleKind.MultiHead };

        // When
        var results = new EnsembleTrainer(Small, options, "small-cnn").Train(dir, train, test);

        // Then: n members, one backbone, n different heads, all learnt, seconds shared out
        Assert.Equal(3, results.Count);
        var states = Enumerable.Range(0, 3).Select(m => State(EnsembleTrainer.CheckpointPath(dir, m))).ToList();
        var init = State(Path.Combine(dir, "shared-init.safetensors"));
        foreach (var name in states[0].Keys.Where(k => !k.StartsWith("head.", StringComparison.Ordinal) && states[0][k].is_floating_point()))
        {
            Assert.True(MaxDiff(states[1][name], states[0][name]) == 0 && MaxDiff(states[2][name], states[0][name]) == 0, $"{name} must be shared");
        }

        Assert.True(MaxDiff(states[0]["features.block4.conv.weight"], init["features.block4.conv.weight"]) > 1e-4, "the body must train");
        Assert.True(MaxDiff(states[1]["head.weight"], states[0]["head.weight"]) > 1e-3);
        Assert.All(results, r => Assert.True(r.TrainAccuracy > 0.5, $"member {r.Index}: {r.TrainAccuracy} (chance 0.25)"));
        Assert.Equal(results[0].Seconds, results[2].Seconds);

        // and a run cannot be shared out over member ranges
        Assert.Throws<ChorusException>(() => new EnsembleTrainer(Small, options, "small-cnn").Train(TestPaths.TempDir(), train, null, members: new Runs.MemberRange(0, 1)));
    }

    [Fact]
    public void FrozenTrunk_SmallCnn_PretrainingLearnsTheTrunkAndMembersKeepIt()
    {
        // Given small-cnn with only its last block and head trained by members, the trunk learnt in the shared pre-training
        var dir = TestPaths.TempDir();
        using var train = EnsembleTrainerTests.QuadrantSet(64, 16, 1);
        using var test = EnsembleTrainerTests.QuadrantSet(24, 16, 2);
        var spec = new BackboneSpec(BackboneSpec.SmallCnn, TrainStages: 1);
        var options = new TrainingOptions(Members: 2, Epochs: 4, BatchSize: 16, LearningRate: 1e-2, PretrainEpochs: 3, HorizontalFlip: false) { Ensemble = EnsembleKind.FrozenTrunk };
        manual_seed(options.Seed);
        using var random = spec.CreateAllTrainable(4, Widths);
        var trainer = new EnsembleTrainer(() => spec.Create(4, Widths), options, spec.Describe(), sharedStartFactory: () => spec.CreateAllTrainable(4, Widths));

        // When
        var results = trainer.Train(dir, train, test);

        // Then the members trained from cached trunk outputs, kept blocks 1–3 of the shared start and changed block 4
        Assert.True(trainer.TrunkCacheUse.Used);
        var init = State(Path.Combine(dir, "shared-init.safetensors"));
        Assert.True(MaxDiff(init["backbone.block1.conv.weight"], random.Module.state_dict()["backbone.block1.conv.weight"]) > 1e-4, "pre-training must train the trunk");
        foreach (var m in Enumerable.Range(0, 2))
        {
            var state = State(EnsembleTrainer.CheckpointPath(dir, m));
            foreach (var name in init.Keys.Where(k => (k.StartsWith("backbone.block1.", StringComparison.Ordinal) || k.StartsWith("backbone.block3.", StringComparison.Ordinal)) && init[k].is_floating_point()))
            {
                Assert.True(MaxDiff(state[name], init[name]) == 0, $"member {m}: {name} must stay frozen");
            }

            Assert.True(MaxDiff(state["backbone.block4.conv.weight"], init["backbone.block4.conv.weight"]) > 1e-4, $"member {m}: block 4 must train");
        }

        Assert.All(results, r => Assert.True(r.TrainAccuracy > 0.5, $"member {r.Index}: {r.TrainAccuracy} (chance 0.25)"));
    }

    [Fact]
    public void SmallCnnBackbone_SplitForwardEqualsWholeForward()
    {
        manual_seed(5);
        using var model = (BackboneClassifier)new BackboneSpec(BackboneSpec.SmallCnn, TrainStages: 2).Create(4, Widths);
        model.eval();
        using var scope = NewDisposeScope();
        var x = rand(3, 3, 16, 16);

        Assert.Equal("block2", model.TrunkCut);
        Assert.True(MaxDiff(model.ForwardFromTrunk(model.TrunkForward(x)), model.Forward(x)) < 1e-5);
        Assert.Equal("small-cnn[stages=2]", new BackboneSpec(BackboneSpec.SmallCnn, TrainStages: 2).Describe());
        Assert.Equal("small-cnn", new BackboneSpec().Describe());
    }
}
