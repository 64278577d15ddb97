using Chorus.Torch.Faithfulness;
using Chorus.Torch.Models;
using Chorus.Torch.Tests.TestModels;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static Chorus.Torch.Tests.Faithfulness.DeletionInsertionTests;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Faithfulness;

public class DeletionInsertionBatchingTests
{
    [Fact]
    public void Compute_ScoresAllImagesAndStepsInChunksOfBatchSize_WithoutGradients()
    {
        // Given: 3 images, 8 steps → 3 × 2 curves × 9 points = 54 perturbed images
        using var inner = new TinyCnn(3, 4);
        using var model = new RecordingClassifier(inner);
        using var x = Randn(41, 3, 3, 8, 8);
        using var t = Targets(0, 1, 2);

        // When
        DeletionInsertion.Compute(model, x, t, RandomMaps(3, seed: 7), new FaithfulnessOptions(Steps: 8, BatchSize: 20));

        // Then
        Assert.Equal([20L, 20L, 14L], model.BatchSizes);
        Assert.All(model.GradEnabled, Assert.False);
    }

    [Fact]
    public void Compute_ConstantDeletionBaseline_EndsAtTheModelOnTheConstantImage()
    {
        using var model = new LinearClassifier(3, 8, 8, 3, seed: 2);
        using var x = Randn(42, 1, 3, 8, 8);
        using var t = Targets(2);

        var c = DeletionInsertion.Compute(model, x, t, RandomMaps(1, seed: 8),
            new FaithfulnessOptions(Steps: 4, DeletionBaseline: FaithfulnessBaseline.Constant(0.5), Score: FaithfulnessScore.Logit))[0];

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var expected = model.Forward(torch.full_like(x, 0.5))[0, 2].item<float>();
        Assert.Equal(expected, c.Deletion[^1], 4);
    }

    /// <summary>Forwards to a classifier and records each batch size and whether gradients were enabled.</summary>
    private sealed class RecordingClassifier(IClassifier inner) : IClassifier
    {
        public List<long> BatchSizes { get; } = [];

        public List<bool> GradEnabled { get; } = [];

        public nn.Module Module => inner.Module;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> LayerNames => inner.LayerNames;

        public string DefaultCamLayer => inner.DefaultCamLayer;

        public Tensor Forward(Tensor input)
        {
            BatchSizes.Add(input.shape[0]);
            GradEnabled.Add(torch.is_grad_enabled());
            return inner.Forward(input);
        }

        public Tensor Forward(Tensor input, string layer, out Tensor activation) => inner.Forward(input, layer, out activation);

        public void Dispose()
        {
        }
    }
}
