using static TorchSharp.torch;

namespace Chorus.Torch.Training;

/// <summary>
/// Applies <see cref="AugmentationOptions"/> to a batch of images [N,C,H,W] (values in [0, 1]), in this order:
/// horizontal flip (<c>torch.flip</c>), affine (rotation about the centre, zoom, shift; <c>affine_grid</c> +
/// <c>grid_sample</c>, bilinear, <c>align_corners=False</c>, zero outside the image, as torchvision's <c>RandomAffine</c>),
/// then brightness, contrast and saturation (torchvision's <c>ColorJitter</c> formulas, clamped to [0, 1]).
/// The geometry matches <c>Chorus.Data.Transforms.GeometricTransform.Affine</c>.
/// All randomness comes from the <see cref="Generator"/> passed in; <see cref="GeneratorSeed"/> derives one per
/// (training seed, member, epoch).
/// </summary>
public static class Augmentation
{
    /// <summary>Uniform numbers drawn per image, whatever is enabled (so enabling one augmentation does not reshuffle the others).</summary>
    private const int DrawsPerImage = 8;

    /// <summary>
    /// The seed of the augmentation generator for one epoch of one member (member −1 is the shared-backbone
    /// pretraining): a SplitMix64 mix of the three numbers, so nearby seeds give unrelated streams.
    /// </summary>
    public static ulong GeneratorSeed(long seed, int member, int epoch)
    {
        var h = Mix((ulong)seed ^ 0xA076_1D64_78BD_642FUL);
        h = Mix(h ^ (ulong)(long)member);
        h = Mix(h ^ (ulong)(long)epoch);

        // libtorch generators take 63-bit seeds safely.
        return h >> 1;
    }

    /// <summary>Draws the parameters of a batch of <paramref name="count"/> images (8 uniforms per image from <paramref name="generator"/>).</summary>
    public static AugmentationDraw Sample(AugmentationOptions options, int count, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 0);
        double[] u;
        using (var scope = NewDisposeScope())
        {
            u = count == 0 ? [] : rand([count, DrawsPerImage], ScalarType.Float64, generator: generator).data<double>().ToArray();
        }

        double Sym(int i, int k, double max) => max == 0 ? 0 : ((2 * u[(i * DrawsPerImage) + k]) - 1) * max;
        var n = count;
        return new AugmentationDraw(
            Flip: [.. Enumerable.Range(0, n).Select(i => options.Flip && u[i * DrawsPerImage] < 0.5)],
            RotationDegrees: [.. Enumerable.Range(0, n).Select(i => Sym(i, 1, options.MaxRotationDegrees))],
            Scale: [.. Enumerable.Range(0, n).Select(i => 1 + Sym(i, 2, options.MaxScale))],
            TranslateX: [.. Enumerable.Range(0, n).Select(i => Sym(i, 3, options.MaxTranslate))],
            TranslateY: [.. Enumerable.Range(0, n).Select(i => Sym(i, 4, options.MaxTranslate))],
            Brightness: [.. Enumerable.Range(0, n).Select(i => 1 + Sym(i, 5, options.Brightness))],
            Contrast: [.. Enumerable.Range(0, n).Select(i => 1 + Sym(i, 6, options.Contrast))],
            Saturation: [.. Enumerable.Range(0, n).Select(i => 1 + Sym(i, 7, options.Saturation))]);
    }

    /// <summary>Draws parameters from <paramref name="generator"/> and applies them; the caller owns the result.
    /// With <see cref="AugmentationOptions.IsNone"/> nothing is drawn and an alias of <paramref name="images"/> is returned.</summary>
    public static Tensor Apply(Tensor images, AugmentationOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        return options.IsNone ? images.alias() : Apply(images, options, Sample(options, (int)images.shape[0], generator));
    }

    /// <summary>Applies the given parameters to <paramref name="images"/> [N,C,H,W]; the caller owns the result (a new tensor, or an alias when nothing applies).</summary>
    public static Tensor Apply(Tensor images, AugmentationOptions options, AugmentationDraw draw)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(draw);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"Expected images [N,C,H,W], got [{string.Join(",", images.shape)}].", nameof(images));
        }

        var (n, c, h, w) = ((int)images.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        if (draw.Count != n)
        {
            throw new ArgumentException($"The draw holds {draw.Count} images but the batch has {n}.", nameof(draw));
        }

        using var scope = NewDisposeScope();
        var x = images;
        if (draw.Flip.Any(f => f))
        {
            var mask = tensor(draw.Flip, device: images.device).view(-1, 1, 1, 1);
            x = where(mask, x.flip(3), x);
        }

        if (options.HasAffine)
        {
            var theta = tensor(Theta(draw, w, h), [n, 2, 3], dtype: images.dtype, device: images.device);
            var grid = nn.functional.affine_grid(theta, [n, c, h, w], align_corners: false);
            x = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
        }

        if (options.Brightness != 0)
        {
            x = (x * Factors(draw.Brightness, images)).clamp(0, 1);
        }

        if (options.Contrast != 0)
        {
            var mean = Gray(x).mean([1, 2, 3], keepdim: true);
            x = Blend(x, mean, Factors(draw.Contrast, images));
        }

        if (options.Saturation != 0 && c == 3)
        {
            x = Blend(x, Gray(x), Factors(draw.Saturation, images));
        }

        return (ReferenceEquals(x, images) ? images.alias() : x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The per-image 2×3 matrices mapping normalised output coordinates to normalised input coordinates
    /// (<c>affine_grid</c>'s convention): the inverse of <c>p' = c + s·R(θ)·(p − c) + t</c> in pixels, with R
    /// counter-clockwise on screen, expressed in the [−1, 1] coordinates of <c>align_corners=False</c>.
    /// </summary>
    private static float[] Theta(AugmentationDraw draw, long width, long height)
    {
        var theta = new float[draw.Count * 6];
        for (var i = 0; i < draw.Count; i++)
        {
            var a = draw.RotationDegrees[i] * Math.PI / 180;
            var (cos, sin, s) = (Math.Cos(a), Math.Sin(a), draw.Scale[i]);
            var (tx, ty) = (draw.TranslateX[i] * width, draw.TranslateY[i] * height);

            // n_in = K·D·n_out − K·t with K = (1/s)·D⁻¹·Rᵀ, D = diag(W/2, H/2).
            var o = i * 6;
            theta[o + 0] = (float)(cos / s);
            theta[o + 1] = (float)(-sin * height / width / s);
            theta[o + 2] = (float)(-2 * ((cos * tx) - (sin * ty)) / width / s);
            theta[o + 3] = (float)(sin * width / height / s);
            theta[o + 4] = (float)(cos / s);
            theta[o + 5] = (float)(-2 * ((sin * tx) + (cos * ty)) / height / s);
        }

        return theta;
    }

    private static Tensor Factors(double[] values, Tensor like) =>
        tensor(values, dtype: like.dtype, device: like.device).view(-1, 1, 1, 1);

    /// <summary>torchvision's <c>rgb_to_grayscale</c> weights (one channel kept as is), [N,1,H,W].</summary>
    private static Tensor Gray(Tensor x) => x.shape[1] == 3
        ? ((0.2989 * x.narrow(1, 0, 1)) + (0.587 * x.narrow(1, 1, 1)) + (0.114 * x.narrow(1, 2, 1)))
        : x.mean([1], keepdim: true);

    /// <summary><c>clamp(f·x + (1 − f)·other, 0, 1)</c> per image.</summary>
    private static Tensor Blend(Tensor x, Tensor other, Tensor factor) => ((factor * x) + ((1 - factor) * other)).clamp(0, 1);

    private static ulong Mix(ulong z)
    {
        z += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}
