using Chorus.Explanations;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>How an [N,C,H,W] attribution becomes one H×W map per image (over the channel dimension).</summary>
public enum MapReduction
{
    /// <summary>Σ_c a_c (signed; keeps cancellations between channels).</summary>
    Sum,

    /// <summary>Σ_c |a_c|.</summary>
    SumAbs,

    /// <summary>max_c |a_c| (the usual saliency-map view of Simonyan et al.).</summary>
    MaxAbs,

    /// <summary>sqrt(Σ_c a_c²).</summary>
    L2,
}

/// <summary>From attribution tensors to Core <see cref="SaliencyMap"/> records (stacks on disk: <see cref="SaliencyMap.LoadStack"/>).</summary>
public static class SaliencyMaps
{
    /// <summary>
    /// Reduces [N,C,H,W] over channels to [N,1,H,W] (created in the current scope). For a single-channel input
    /// Sum is the identity and SumAbs, MaxAbs and L2 are all |a|.
    /// </summary>
    public static Tensor Reduce(Tensor attributions, MapReduction reduction)
    {
        ArgumentNullException.ThrowIfNull(attributions);
        if (attributions.dim() != 4)
        {
            throw new ArgumentException($"Attributions must have rank 4 [N,C,H,W], got [{string.Join(",", attributions.shape)}].", nameof(attributions));
        }

        return reduction switch
        {
            MapReduction.Sum => attributions.sum(1, keepdim: true),
            MapReduction.SumAbs => attributions.abs().sum(1, keepdim: true),
            MapReduction.MaxAbs => attributions.abs().amax([1], keepdim: true),
            MapReduction.L2 => attributions.square().sum(1, keepdim: true).sqrt(),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction)),
        };
    }

    /// <summary>One <see cref="SaliencyMap"/> per image of an [N,1|C,H,W] attribution, reduced over channels, as float32 on the CPU.</summary>
    public static IReadOnlyList<SaliencyMap> ToMaps(Tensor attributions, MapReduction reduction)
    {
        using var scope = NewDisposeScope();
        var reduced = Reduce(attributions.detach(), reduction).to_type(ScalarType.Float32).cpu().contiguous();
        var n = (int)reduced.shape[0];
        var h = (int)reduced.shape[2];
        var w = (int)reduced.shape[3];
        return SaliencyMap.Split(reduced.data<float>().ToArray(), n, h, w);
    }
}
