using Chorus.Torch.Models;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>
/// A model as attribution runs it, in a <see cref="Precision"/> and a <see cref="MemoryLayout"/>: the one place where the
/// bfloat16 and channels-last wrappers are applied (the ensemble explainer, <c>chorus explain</c> and faithfulness borrow
/// models through it). Converted once when created; on <see cref="Dispose"/> the model has its float32, NCHW weights back
/// bit for bit. The model itself is not disposed.
/// </summary>
public sealed class ModelPasses : IDisposable
{
    private readonly BFloat16Classifier? _lowered;
    private readonly ChannelsLastClassifier? _nhwc;

    /// <param name="model">The float32 model (eval mode).</param>
    /// <param name="precision">Arithmetic of its passes.</param>
    /// <param name="layout">Memory order of its passes.</param>
    /// <param name="sample">Inputs like the ones to come (the layout decides from their rank whether to convert).</param>
    /// <exception cref="ArgumentException">bf16 for a model holding tensors that are not float32.</exception>
    public ModelPasses(IClassifier model, Precision precision, MemoryLayout layout, Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        _lowered = precision == Precision.BFloat16 ? new BFloat16Classifier(model) : null;
        try
        {
            IClassifier lowPrecision = _lowered ?? model;
            _nhwc = layout.Borrow(lowPrecision, sample);
            Model = _nhwc ?? lowPrecision;
        }
        catch
        {
            _lowered?.Dispose();
            throw;
        }
    }

    /// <summary>The model to run attributions on.</summary>
    public IClassifier Model { get; }

    /// <summary>Gives the model its float32, NCHW weights back.</summary>
    public void Dispose()
    {
        _nhwc?.Dispose();
        _lowered?.Dispose();
    }
}
