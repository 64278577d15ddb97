using Chorus.Torch.Attribution;

namespace Chorus.Torch.Faithfulness;

/// <summary>What a curve point measures for the target class.</summary>
public enum FaithfulnessScore
{
    /// <summary>Softmax probability of the target class (RISE's choice).</summary>
    Probability,

    /// <summary>Raw target logit.</summary>
    Logit,
}

/// <summary>What a removed pixel is replaced with (deletion) or what an image starts from (insertion).</summary>
public enum FaithfulnessBaselineKind
{
    /// <summary>All zeros.</summary>
    Zeros,

    /// <summary>One constant everywhere.</summary>
    Constant,

    /// <summary>The per-image, per-channel mean of the input, in every pixel.</summary>
    Mean,

    /// <summary>The input box-blurred per channel, exactly as <see cref="Baseline.Blurred(int)"/>.</summary>
    Blur,
}

/// <summary>A baseline image for <see cref="DeletionInsertion"/>, built per image from the input.</summary>
public sealed record FaithfulnessBaseline
{
    private FaithfulnessBaseline(FaithfulnessBaselineKind kind, double value, int kernelSize)
    {
        Kind = kind;
        Value = value;
        KernelSize = kernelSize;
    }

    /// <summary>All zeros (RISE's deletion baseline).</summary>
    public static FaithfulnessBaseline Zeros { get; } = new(FaithfulnessBaselineKind.Zeros, 0, 0);

    /// <summary>Per-image channel mean.</summary>
    public static FaithfulnessBaseline Mean { get; } = new(FaithfulnessBaselineKind.Mean, 0, 0);

    /// <summary>The kind of baseline.</summary>
    public FaithfulnessBaselineKind Kind { get; }

    /// <summary>The constant for <see cref="FaithfulnessBaselineKind.Constant"/>.</summary>
    public double Value { get; }

    /// <summary>The odd box-blur kernel for <see cref="FaithfulnessBaselineKind.Blur"/>.</summary>
    public int KernelSize { get; }

    /// <summary>A constant baseline.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not finite.</exception>
    public static FaithfulnessBaseline Constant(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("A constant baseline must be finite.", nameof(value));
        }

        return new(FaithfulnessBaselineKind.Constant, value, 0);
    }

    /// <summary>The input blurred with an odd box kernel (default 9, as <see cref="Baseline.Blurred(int)"/>), RISE's insertion baseline.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kernelSize"/> is not odd and positive.</exception>
    public static FaithfulnessBaseline Blur(int kernelSize = 9)
    {
        if (kernelSize < 1 || kernelSize % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kernelSize), "The blur kernel size must be odd and positive.");
        }

        return new(FaithfulnessBaselineKind.Blur, 0, kernelSize);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        FaithfulnessBaselineKind.Constant => $"constant({Value})",
        FaithfulnessBaselineKind.Mean => "mean",
        FaithfulnessBaselineKind.Blur => $"blur({KernelSize})",
        _ => "zeros",
    };
}

/// <summary>Options of <see cref="DeletionInsertion"/> (Petsiuk et al., RISE, https://arxiv.org/abs/1806.07421).</summary>
/// <param name="Steps">
/// Number of steps when <paramref name="PixelsPerStep"/> is null; the step size is then ceil(H·W / Steps), so a curve has
/// at most Steps + 1 points (exactly Steps + 1 when Steps divides H·W). Default: 50.
/// </param>
/// <param name="PixelsPerStep">Pixels (all channels) changed per step; overrides <paramref name="Steps"/>. Default: null.</param>
/// <param name="DeletionBaseline">What deleted pixels become. Default: null = <see cref="FaithfulnessBaseline.Zeros"/> (RISE).</param>
/// <param name="InsertionBaseline">What insertion starts from. Default: null = <see cref="FaithfulnessBaseline.Blur(int)"/> with kernel 9 (RISE).</param>
/// <param name="Score">Target-class probability or logit. Default: <see cref="FaithfulnessScore.Probability"/>.</param>
/// <param name="BatchSize">Perturbed images per forward pass (all images, both curves, several steps). Default: 64. The curves do not depend on it.</param>
public sealed record FaithfulnessOptions(
    int Steps = 50,
    int? PixelsPerStep = null,
    FaithfulnessBaseline? DeletionBaseline = null,
    FaithfulnessBaseline? InsertionBaseline = null,
    FaithfulnessScore Score = FaithfulnessScore.Probability,
    int BatchSize = 64)
{
    /// <summary>The defaults.</summary>
    public static FaithfulnessOptions Default { get; } = new();

    /// <summary>The deletion baseline in use.</summary>
    public FaithfulnessBaseline DeletionBaselineOrDefault => DeletionBaseline ?? FaithfulnessBaseline.Zeros;

    /// <summary>The insertion baseline in use.</summary>
    public FaithfulnessBaseline InsertionBaselineOrDefault => InsertionBaseline ?? FaithfulnessBaseline.Blur();

    /// <summary>Throws if a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or <see cref="Score"/> is undefined.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1, nameof(Steps));
        if (PixelsPerStep is { } p)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(p, 1, nameof(PixelsPerStep));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!Enum.IsDefined(Score))
        {
            throw new ArgumentOutOfRangeException(nameof(Score), $"Unknown score {Score}.");
        }
    }

    /// <summary>Pixels changed per step for an image of <paramref name="pixels"/> pixels.</summary>
    internal int StepSize(int pixels) => Math.Min(pixels, PixelsPerStep ?? (int)Math.Ceiling(pixels / (double)Steps));
}
