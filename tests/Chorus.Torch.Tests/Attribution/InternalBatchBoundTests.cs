using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using Chorus.Torch.Tests.TestModels;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Attribution;

/// <summary>
/// The structural reason peak memory does not grow with IG steps or Gradient SHAP samples: with an internal batch
/// size, no forward pass ever sees more than max(N, internal batch size) images, however many steps there are.
/// </summary>
public class InternalBatchBoundTests
{
    /// <summary>Forwards to a model and records the batch size of every forward.</summary>
    private sealed class RecordingClassifier(IClassifier inner) : IClassifier
    {
        public List<long> Batches { get; } = [];

        public nn.Module Module => inner.Module;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> LayerNames => inner.LayerNames;

        public string DefaultCamLayer => inner.DefaultCamLayer;

        public Tensor Forward(Tensor input)
        {
            Batches.Add(input.shape[0]);
            return inner.Forward(input);
        }

        public Tensor Forward(Tensor input, string layer, out Tensor activation)
        {
            Batches.Add(input.shape[0]);
            return inner.Forward(input, layer, out activation);
        }

        public void Dispose() => inner.Dispose();
    }

    [Theory]
    [InlineData(16, 2, 8)]
    [InlineData(64, 2, 8)]
    [InlineData(256, 2, 8)]
    [InlineData(64, 4, 16)]
    [InlineData(50, 3, 16)]
    public void IntegratedGradients_AnyStepCount_NeverForwardsMoreThanTheInternalBatch(int steps, int n, int internalBatch)
    {
        // Given
        using var model = new RecordingClassifier(Cnn());
        using var x = Randn(31, n, 3, 8, 8);
        using var t = Targets([.. Enumerable.Range(0, n).Select(i => (long)(i % 4))]);

        // When
        using var attr = new IntegratedGradients(new IntegratedGradientsOptions(steps, InternalBatchSize: internalBatch)).Attribute(model, x, t);

        // Then: every evaluation done, none in a pass larger than the bound
        Assert.Equal((long)steps * n, model.Batches.Sum());
        Assert.All(model.Batches, b => Assert.InRange(b, 1, Math.Max(n, internalBatch)));
    }

    [Theory]
    [InlineData(5, 2, 8)]
    [InlineData(50, 2, 8)]
    [InlineData(50, 4, 16)]
    public void GradientShap_AnySampleCount_NeverForwardsMoreThanTheInternalBatch(int samples, int n, int internalBatch)
    {
        // Given
        using var model = new RecordingClassifier(Cnn());
        using var x = Randn(32, n, 3, 8, 8);
        using var t = Targets([.. Enumerable.Range(0, n).Select(i => (long)(i % 4))]);
        using var g = new Generator(5);

        // When
        using var attr = new GradientShap(g, new GradientShapOptions(Samples: samples, InternalBatchSize: internalBatch)).Attribute(model, x, t);

        // Then
        Assert.Equal((long)samples * n, model.Batches.Sum());
        Assert.All(model.Batches, b => Assert.InRange(b, 1, Math.Max(n, internalBatch)));
    }

    [Fact]
    public void IntegratedGradients_NoInternalBatch_ForwardsAllStepsAtOnce()
    {
        // The recorder can see an unbounded pass (so the bound above is a real check).
        using var model = new RecordingClassifier(Cnn());
        using var x = Randn(33, 2, 3, 8, 8);
        using var t = Targets(0, 1);

        using var attr = new IntegratedGradients(new IntegratedGradientsOptions(64)).Attribute(model, x, t);

        Assert.Equal(new List<long> { 128 }, model.Batches);
    }
}
