using static TorchSharp.torch;

namespace Chorus.Torch.Training;

/// <summary>A split held in memory as tensors: images [N,C,H,W] float32 in [0,1] and labels [N] int64.</summary>
public sealed class ImageTensorSet : IDisposable
{
    private ImageTensorSet(Tensor images, Tensor labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>Images [N,C,H,W] float32.</summary>
    public Tensor Images { get; }

    /// <summary>Class indices [N] int64.</summary>
    public Tensor Labels { get; }

    /// <summary>N.</summary>
    public int Count => (int)Images.shape[0];

    /// <summary>Builds the set from planar CHW pixels (N·C·H·W values) and labels.</summary>
    public static ImageTensorSet FromArrays(float[] pixels, int[] labels, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        var n = labels.Length;
        if (pixels.Length != (long)n * channels * height * width)
        {
            throw new ArgumentException($"{n} images of {channels}×{height}×{width} need {(long)n * channels * height * width} values, got {pixels.Length}.", nameof(pixels));
        }

        var images = tensor(pixels, [n, channels, height, width]);
        var y = tensor(labels.Select(l => (long)l).ToArray(), [n]);
        return new ImageTensorSet(images, y);
    }

    /// <summary>A stable fingerprint of the contents, so a resumed run can tell it was given the same data.</summary>
    public string Fingerprint()
    {
        using var scope = NewDisposeScope();
        var sum = Images.to_type(ScalarType.Float64).sum().item<double>();
        var sq = Images.to_type(ScalarType.Float64).square().sum().item<double>();
        var labelSum = Labels.sum().item<long>();
        return FormattableString.Invariant($"n={Count};shape={string.Join("x", Images.shape)};sum={sum:R};sq={sq:R};labels={labelSum}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
