using System.Text.Json;
using Chorus.Torch.Models;
using Chorus.Torch.Training;

namespace Chorus.Torch.Tests.Training;

/// <summary>Runs alone: the trainer seeds libtorch's global generator, which tests running in parallel would also draw from.</summary>
[CollectionDefinition(nameof(AugmentationTrainingTests), DisableParallelization = true)]
public class AugmentationTrainingCollection
{
}

[Collection(nameof(AugmentationTrainingTests))]
public class AugmentationTrainingTests
{
    [Fact]
    public void Train_AugmentationNone_ByteIdenticalToNoOption_StandardIsDeterministicAndDifferent()
    {
        // Given
        using var train = EnsembleTrainerTests.QuadrantSet(40, 12, 1);
        string Run(AugmentationOptions? augmentation)
        {
            var dir = TestPaths.TempDir();
            var options = new TrainingOptions(Members: 1, Epochs: 2, BatchSize: 16, PretrainEpochs: 1, Augmentation: augmentation);
            new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), options, "small-cnn").Train(dir, train, null);
            return dir;
        }

        // When
        var plain = Run(null);
        var none = Run(AugmentationOptions.None);
        var standard = Run(AugmentationOptions.Standard);
        var standardAgain = Run(AugmentationOptions.Standard);

        // Then
        byte[] Weights(string dir) => File.ReadAllBytes(EnsembleTrainer.CheckpointPath(dir, 0));
        Assert.Equal(Weights(plain), Weights(none));
        string Fingerprint(string dir) => JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(EnsembleTrainer.CheckpointPath(dir, 0), ".json"))).RootElement.GetProperty("Fingerprint").GetString()!;
        Assert.Equal(Fingerprint(plain), Fingerprint(none));
        Assert.NotEqual(Fingerprint(plain), Fingerprint(standard));
        Assert.Equal(Weights(standard), Weights(standardAgain));
        Assert.NotEqual(Weights(plain), Weights(standard));
    }
}
