using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>What a baseline (reference) is made of.</summary>
public enum BaselineKind
{
    /// <summary>All zeros (Captum's default).</summary>
    Zeros,

    /// <summary>One constant everywhere.</summary>
    Constant,

    /// <summary>A caller-owned tensor [N,C,H,W], or [1,C,H,W] / [C,H,W] broadcast over the batch.</summary>
    Tensor,

    /// <summary>
    /// The input itself box-blurred per channel: <c>avg_pool2d(kernel k, stride 1, padding k/2, count_include_pad=false)</c>.
    /// </summary>
    Blurred,
}

/// <summary>
/// A baseline for Integrated Gradients, Occlusion, or one reference of Gradient SHAP (Captum's
/// <c>_format_baseline</c>/<c>_tensorize_baseline</c> in one place). A tensor baseline stays owned by the caller.
/// </summary>
public sealed record Baseline
{
    private Baseline(BaselineKind kind, double value, Tensor? tensor, int kernelSize)
    {
        Kind = kind;
        Value = value;
        Values = tensor;
        KernelSize = kernelSize;
    }

    /// <summary>Zeros (the default everywhere).</summary>
    public static Baseline Zeros { get; } = new(BaselineKind.Zeros, 0, null, 0);

    /// <summary>The kind of baseline.</summary>
    public BaselineKind Kind { get; }

    /// <summary>The constant for <see cref="BaselineKind.Constant"/>.</summary>
    public double Value { get; }

    /// <summary>The tensor for <see cref="BaselineKind.Tensor"/> (caller-owned, never disposed here; not serialised).</summary>
    [JsonIgnore]
    public Tensor? Values { get; }

    /// <summary>The odd box-blur kernel size for <see cref="BaselineKind.Blurred"/>.</summary>
    public int KernelSize { get; }

    /// <summary>A constant baseline (Captum: a scalar <c>baselines</c>).</summary>
    public static Baseline Constant(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("A constant baseline must be finite.", nameof(value));
        }

        return new(BaselineKind.Constant, value, null, 0);
    }

    /// <summary>A tensor baseline [N,C,H,W], or [1,C,H,W] / [C,H,W] broadcast over the batch. Not copied, not disposed.</summary>
    public static Baseline FromTensor(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(BaselineKind.Tensor, 0, values, 0);
    }

    /// <summary>The input blurred with an odd box kernel (default 9) per channel, borders averaged over valid pixels only.</summary>
    public static Baseline Blurred(int kernelSize = 9)
    {
        if (kernelSize < 1 || kernelSize % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kernelSize), "The blur kernel size must be odd and positive.");
        }

        return new(BaselineKind.Blurred, 0, null, kernelSize);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        BaselineKind.Constant => $"constant({Value})",
        BaselineKind.Tensor => $"tensor[{string.Join(",", Values!.shape)}]",
        BaselineKind.Blurred => $"blurred({KernelSize})",
        _ => "zeros",
    };

    /// <summary>
    /// The baseline as a tensor of the input's shape, dtype and device (possibly an expanded view), created in the
    /// current dispose scope.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor baseline does not fit the input; the message names <paramref name="paramName"/>.</exception>
    internal Tensor Materialize(Tensor input, string paramName)
    {
        switch (Kind)
        {
            case BaselineKind.Zeros:
                return torch.zeros_like(input);
            case BaselineKind.Constant:
                return torch.zeros_like(input).add_(Value);
            case BaselineKind.Blurred:
                using (torch.no_grad())
                {
                    return nn.functional.avg_pool2d(input.detach(), KernelSize, stride: 1, padding: KernelSize / 2, count_include_pad: false);
                }

            default:
                var t = Values!;
                var shape = input.shape;
                var ok = (t.dim() == 4 && (t.shape[0] == shape[0] || t.shape[0] == 1) && t.shape.AsSpan(1).SequenceEqual(shape.AsSpan(1)))
                    || (t.dim() == 3 && t.shape.AsSpan().SequenceEqual(shape.AsSpan(1)));
                if (!ok)
                {
                    throw new ArgumentException(
                        $"Baseline shape [{string.Join(",", t.shape)}] does not fit input [{string.Join(",", shape)}]; use [N,C,H,W], [1,C,H,W] or [C,H,W].",
                        paramName);
                }

                if (!t.is_floating_point())
                {
                    throw new ArgumentException("A tensor baseline must be floating point.", paramName);
                }

                AttributionGuard.CheckFinite(t, paramName);
                var b = t.detach().to_type(input.dtype).to(input.device);
                return (t.dim() == 3 ? b.unsqueeze(0) : b).expand(shape);
        }
    }
}
