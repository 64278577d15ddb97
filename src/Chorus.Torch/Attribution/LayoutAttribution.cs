using Chorus.Torch.Models;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>
/// Runs any attribution method in a given <see cref="MemoryLayout"/>: with channels-last each call borrows the model
/// as a <see cref="ChannelsLastClassifier"/> and gives it back afterwards. Callers that explain many batches with one model borrow it once instead
/// (<see cref="MemoryLayoutNames.Borrow"/>, as <see cref="Explaining.EnsembleExplainer"/> does); such a model is used as it is.
/// </summary>
public sealed class LayoutAttribution : IAttributionMethod
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public LayoutAttribution(IAttributionMethod inner, MemoryLayout layout)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (!Enum.IsDefined(layout))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown memory layout.");
        }

        Layout = layout;
    }

    /// <summary>The wrapped method.</summary>
    public IAttributionMethod Inner { get; }

    /// <summary>The layout of the model passes.</summary>
    public MemoryLayout Layout { get; }

    /// <inheritdoc/>
    public string Name => Inner.Name;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        using var passes = new ModelPasses(model, Precision.Float32, Layout, input);
        return Inner.Attribute(passes.Model, input, target);
    }
}
