using Chorus.Torch.Models;
using Chorus.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Training;

/// <summary>The recipe options: SGD, warm-up, frozen BatchNorm statistics, and balanced accuracy in member results.</summary>
public class TrainingRecipeTests
{
    private static SmallCnn Small() => new(4, widths: [4, 8, 8, 8]);

    [Fact]
    public void Sgd_WithWarmup_Learns_AndRecordsBalancedAccuracy()
    {
        var dir = TestPaths.TempDir();
        using var train = EnsembleTrainerTests.QuadrantSet(96, 16, 1);
        using var test = EnsembleTrainerTests.QuadrantSet(40, 16, 2);
        var options = new TrainingOptions(Members: 1, Epochs: 6, BatchSize: 16, LearningRate: 0.05, HorizontalFlip: false)
        {
            Optimizer = TrainingOptimizer.Sgd,
            WarmupEpochs = 1,
        };

        var result = new EnsembleTrainer(Small, options, "small-cnn").Train(dir, train, test).Single();

        Assert.True(result.TestAccuracy > 0.8, $"test accuracy {result.TestAccuracy}");
        Assert.NotNull(result.TestBalancedAccuracy);
        Assert.InRange(result.TestBalancedAccuracy!.Value, 0.7, 1.0);
    }

    [Fact]
    public void Warmup_And_Optimizer_ChangeTheFingerprint_DefaultsDoNot()
    {
        // Run folders trained before the options existed keep resuming: unset options are not serialised.
        var plain = System.Text.Json.JsonSerializer.Serialize(new TrainingOptions());
        Assert.DoesNotContain("Optimizer", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("Warmup", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("FreezeBatchNorm", plain, StringComparison.Ordinal);
        var set = System.Text.Json.JsonSerializer.Serialize(new TrainingOptions() with { Optimizer = TrainingOptimizer.Sgd, WarmupEpochs = 0.5, FreezeBatchNorm = true });
        Assert.Contains("\"Optimizer\":\"Sgd\"", set, StringComparison.Ordinal);
        Assert.Contains("\"WarmupEpochs\":0.5", set, StringComparison.Ordinal);
        Assert.Contains("\"FreezeBatchNorm\":true", set, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => (new TrainingOptions() with { WarmupEpochs = -1 }).Validate());
    }

    [Fact]
    public void FreezeBatchNorm_KeepsRunningStatistics_WhileWeightsTrain()
    {
        using var model = Small();
        model.train();
        EnsembleTrainer.FreezeBatchNorm(model);
        var norms = model.named_modules().Where(m => m.module.GetType().Name.StartsWith("BatchNorm", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(norms);
        Assert.All(norms, m => Assert.False(m.module.training));
        using var scope = NewDisposeScope();
        var before = model.state_dict().Where(kv => kv.Key.Contains("running", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        model.forward(randn([8, 3, 16, 16], generator: new Generator(3)) * 5);
        foreach (var (name, value) in model.state_dict().Where(kv => kv.Key.Contains("running", StringComparison.Ordinal)))
        {
            Assert.True(value.eq(before[name]).all().item<bool>(), name);
        }
    }
}
