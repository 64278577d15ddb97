using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>
/// Runs a classifier with its 4-D weights and its input in channels-last memory order (NHWC strides on NCHW-shaped
/// tensors) for as long as this object lives. Convolutions, batch norm, ReLU, pooling and additions keep that order
/// from layer to layer, which oneDNN runs faster on CPUs (measured with <c>bench/Chorus.Benchmarks -- --engine</c>).
/// Only the memory order changes: shapes, values and results are the same up to float rounding of a different
/// summation order, and the gradients the attribution methods receive are NCHW-contiguous again (Attribution.Gradients).
/// <see cref="Dispose"/> gives the model back in its original contiguous order (values bit for bit unchanged);
/// disposing does not dispose the model.
/// </summary>
/// <remarks>While borrowed the model's weights are channels-last: do not use it elsewhere until this object is disposed.</remarks>
public sealed class ChannelsLastClassifier : IClassifier
{
    private readonly IClassifier _inner;
    private readonly List<Tensor> _converted = [];
    private bool _disposed;

    /// <summary>Converts every contiguous 4-D floating-point parameter and buffer of <paramref name="model"/> to channels-last.</summary>
    public ChannelsLastClassifier(IClassifier model)
    {
        _inner = model ?? throw new ArgumentNullException(nameof(model));
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        foreach (var t in model.Module.parameters().Cast<Tensor>().Concat(model.Module.buffers()))
        {
            if (t.dim() == 4 && t.is_floating_point() && t.is_contiguous())
            {
                t.set_(ToChannelsLast(t));
                _converted.Add(t);
            }
        }
    }

    /// <summary>The borrowed model.</summary>
    public IClassifier Inner => _inner;

    /// <summary>How many weight tensors were converted (0: the model has no 4-D weights and nothing changes).</summary>
    public int ConvertedTensors => _converted.Count;

    /// <inheritdoc/>
    public nn.Module Module => _inner.Module;

    /// <inheritdoc/>
    public int NumClasses => _inner.NumClasses;

    /// <inheritdoc/>
    public IReadOnlyList<string> LayerNames => _inner.LayerNames;

    /// <inheritdoc/>
    public string DefaultCamLayer => _inner.DefaultCamLayer;

    /// <summary>The same values in channels-last order (a copy; part of the autograd graph). Non-4-D tensors are returned as they are.</summary>
    public static Tensor ToChannelsLast(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.dim() == 4 ? t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : t;
    }

    /// <summary>Whether a 4-D tensor is laid out channels-last (channel stride 1) and not plain contiguous.</summary>
    public static bool IsChannelsLast(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.dim() == 4 && t.shape[1] > 1 && t.stride(1) == 1 && !t.is_contiguous();
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _inner.Forward(ToChannelsLast(input));
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _inner.Forward(ToChannelsLast(input), layer, out activation);
    }

    /// <summary>Puts every converted tensor back in contiguous (NCHW) order; the model stays usable.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        foreach (var t in _converted)
        {
            t.set_(t.contiguous());
            if (t.grad is { } grad)
            {
                // Accumulated while borrowed (training): same values, channels-last strides; give them NCHW order too.
                grad.set_(grad.contiguous());
            }
        }

        _converted.Clear();
    }
}

/// <summary>Memory order of the model's weights and activations during attribution.</summary>
public enum MemoryLayout
{
    /// <summary>
    /// Channels-last (<see cref="ChannelsLastClassifier"/>), the default. Measured on a 2-core AVX2 CPU against NCHW
    /// (<c>bench/Chorus.Benchmarks -- --engine --model NAME [--method M]</c>, interleaved, conversion included):
    /// forward + input gradient 0.75–0.90× at 32–224 px on the small CNN, TorchVision and ONNX ResNet-18 (single
    /// runs at 64 px batch 16 ranged 0.72–1.05: too short to time well); Integrated Gradients 0.70–0.83× at 32–64 px.
    /// </summary>
    ChannelsLast,

    /// <summary>Plain contiguous NCHW, as the model stores its weights (what Captum does).</summary>
    Contiguous,
}

/// <summary>CLI names of <see cref="MemoryLayout"/>: <c>channels-last</c> and <c>nchw</c>.</summary>
public static class MemoryLayoutNames
{
    /// <summary>Every accepted name, canonical spellings.</summary>
    public static IReadOnlyList<string> Names { get; } = ["channels-last", "nchw"];

    /// <summary>Parses <c>channels-last</c>/<c>nhwc</c> or <c>nchw</c>/<c>contiguous</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other text; the message lists the known names.</exception>
    public static MemoryLayout Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "channels-last" or "channels_last" or "nhwc" => MemoryLayout.ChannelsLast,
            "nchw" or "contiguous" => MemoryLayout.Contiguous,
            _ => throw new ArgumentException($"Unknown memory layout '{text}'; known: {string.Join(", ", Names)}.", nameof(text)),
        };
    }

    /// <summary>The canonical CLI name.</summary>
    public static string ToCliName(this MemoryLayout layout) => layout switch
    {
        MemoryLayout.ChannelsLast => "channels-last",
        MemoryLayout.Contiguous => "nchw",
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown memory layout."),
    };

    /// <summary>
    /// The model to attribute with: a new <see cref="ChannelsLastClassifier"/> borrowing <paramref name="model"/> when
    /// <paramref name="layout"/> is channels-last and <paramref name="input"/> is a batch of images ([N,C,H,W]), else null
    /// (use the model as it is). A model that is already channels-last is never wrapped twice.
    /// </summary>
    public static ChannelsLastClassifier? Borrow(this MemoryLayout layout, IClassifier model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        if (!Enum.IsDefined(layout))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown memory layout.");
        }

        return layout == MemoryLayout.ChannelsLast && input.dim() == 4 && model is not ChannelsLastClassifier ? new ChannelsLastClassifier(model) : null;
    }
}
