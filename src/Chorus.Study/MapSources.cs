using System.Globalization;

namespace Chorus.Study;

/// <summary>
/// Where the n maps per image come from. <see cref="Ensemble"/> is the study: n independently trained members. The
/// others take one trained model (member 0) and make n maps from it at the same explanation cost and no extra training.
/// </summary>
public enum MapSource
{
    /// <summary>n independently trained members (the study).</summary>
    Ensemble,

    /// <summary>SmoothGrad as a source: map i explains the image plus Gaussian noise, σ = 15 % of the image's value range (Smilkov et al. 2017).</summary>
    SmoothGrad,

    /// <summary>NoiseGrad: map i explains the model with weights θ ⊙ η_i, η_i ~ N(1, 0.2²) per element (Bykov et al. 2022).</summary>
    NoiseGrad,

    /// <summary>FusionGrad: NoiseGrad's weights and SmoothGrad's input noise together, both drawn for map i.</summary>
    FusionGrad,

    /// <summary>
    /// Test-time augmentation: map i explains the image under augmentation i (horizontal flips × zooms 0.9, 1, 1.1 about the
    /// centre; <see cref="Chorus.Data.Transforms.TestTimeAugmentation.List"/>) and is mapped back to the original geometry.
    /// </summary>
    Tta,

    /// <summary>
    /// MC-dropout (Gal &amp; Ghahramani 2016): map i explains member 0 with one fixed dropout mask i on the head's input
    /// (<see cref="Torch.Explaining.McDropout"/>); needs members trained with dropout (<c>--dropout P</c>).
    /// </summary>
    McDropout,
}

/// <summary>Names and parameters of <see cref="MapSource"/>.</summary>
public static class MapSources
{
    /// <summary>SmoothGrad's σ as a fraction of an image's value range (max − min).</summary>
    public const double SmoothGradSigma = 0.15;

    /// <summary>Added to the study seed (with the map's index i) to seed map i's NoiseGrad weight noise.</summary>
    public const long WeightNoiseSeedOffset = 104_729;

    /// <summary>Added to the study seed (with the map's index i) to seed map i's SmoothGrad input noise (low 32 bits).</summary>
    public const int InputNoiseSeedOffset = 7907;

    /// <summary>Added to the study seed (with the map's index i) to seed map i's MC-dropout mask.</summary>
    public const long DropoutMaskSeedOffset = 611_953;

    /// <summary>The one-model sources, in table order.</summary>
    public static IReadOnlyList<MapSource> OneModel { get; } = [MapSource.SmoothGrad, MapSource.NoiseGrad, MapSource.FusionGrad, MapSource.Tta, MapSource.McDropout];

    /// <summary>
    /// The one-model sources <c>chorus compare</c> runs when none are named: all of <see cref="OneModel"/>, but
    /// <see cref="MapSource.McDropout"/> only for members trained with dropout (<paramref name="dropout"/> &gt; 0).
    /// </summary>
    public static IReadOnlyList<MapSource> Defaults(double dropout) => [.. OneModel.Where(s => s != MapSource.McDropout || dropout > 0)];

    /// <summary>The command-line name: <c>ensemble</c>, <c>smoothgrad</c>, <c>noisegrad</c>, <c>fusiongrad</c>, <c>tta</c>, <c>mc-dropout</c>.</summary>
    public static string Name(this MapSource source) => source == MapSource.McDropout ? "mc-dropout" : source.ToString().ToLowerInvariant();

    /// <summary>Parses a name of <see cref="Name"/>.</summary>
    /// <exception cref="ArgumentException">Any other text.</exception>
    public static MapSource Parse(string text) =>
        Enum.GetValues<MapSource>().FirstOrDefault(s => s.Name() == text.Trim().ToLowerInvariant()) is var s && s.Name() == text.Trim().ToLowerInvariant()
            ? s
            : throw new ArgumentException($"Unknown map source '{text}'; known: {string.Join(", ", Enum.GetValues<MapSource>().Select(Name))}.");

    /// <summary>Whether map i perturbs the input.</summary>
    public static bool NoisesInput(this MapSource source) => source is MapSource.SmoothGrad or MapSource.FusionGrad;

    /// <summary>Whether map i perturbs the weights.</summary>
    public static bool NoisesWeights(this MapSource source) => source is MapSource.NoiseGrad or MapSource.FusionGrad;

    /// <summary>
    /// The lines that make a source's maps what they are (kept beside them: other values refuse to reuse them). SmoothGrad,
    /// NoiseGrad and FusionGrad write the lines they always did; <see cref="MapSource.Tta"/> adds its augmentation list
    /// (which depends on <paramref name="maps"/> and <paramref name="seed"/>) and that the maps on disk are in the
    /// augmented geometry; <see cref="MapSource.McDropout"/> adds <paramref name="dropout"/> and how its masks are seeded.
    /// </summary>
    /// <param name="source">The source.</param>
    /// <param name="baseMember">The member whose model makes the maps.</param>
    /// <param name="maps">Maps per image (the ensemble size n).</param>
    /// <param name="seed">The study seed.</param>
    /// <param name="dropout">The base member's dropout probability (MC-dropout only).</param>
    public static string[] Describe(this MapSource source, int baseMember, int maps, long seed, double dropout = 0) =>
    [
        $"source={source.Name()}",
        string.Create(CultureInfo.InvariantCulture, $"base_member={baseMember}"),
        .. source.NoisesInput() ? [string.Create(CultureInfo.InvariantCulture, $"input_noise_sigma={SmoothGradSigma}*range")] : Array.Empty<string>(),
        .. source.NoisesWeights() ? [string.Create(CultureInfo.InvariantCulture, $"weight_noise_sigma={Torch.Explaining.NoiseGrad.DefaultSigma}")] : Array.Empty<string>(),
        .. source == MapSource.Tta
            ? [$"augmentations={string.Join(',', Augmentations(maps, seed).Select(a => a.Describe()))}", "stored_maps=augmented_geometry"]
            : Array.Empty<string>(),
        .. source == MapSource.McDropout
            ? [string.Create(CultureInfo.InvariantCulture, $"dropout={dropout:R}"), string.Create(CultureInfo.InvariantCulture, $"dropout_masks=head_input,keep=1-p,scale=1/(1-p),seed=seed+{DropoutMaskSeedOffset}+i")]
            : Array.Empty<string>(),
    ];

    /// <summary>The test-time augmentations of <see cref="MapSource.Tta"/>: map i of <paramref name="maps"/> uses augmentation i.</summary>
    public static IReadOnlyList<Chorus.Data.Transforms.TestTimeAugmentation> Augmentations(int maps, long seed) =>
        Chorus.Data.Transforms.TestTimeAugmentation.List(maps, seed);

    /// <summary>
    /// <paramref name="pixels"/> (images of <paramref name="plane"/> values each) plus N(0, (σ·range)²) noise per value, with
    /// range = max − min of each image, drawn from <paramref name="seed"/> (Box–Muller on <see cref="Random"/>: reproducible).
    /// </summary>
    public static float[] AddInputNoise(float[] pixels, int plane, double sigmaFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var random = new Random(seed);
        var result = new float[pixels.Length];
        for (var start = 0; start < pixels.Length; start += plane)
        {
            var image = pixels.AsSpan(start, plane);
            var min = float.PositiveInfinity;
            var max = float.NegativeInfinity;
            foreach (var v in image)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            var sigma = sigmaFraction * (max - min);
            for (var k = 0; k < plane; k++)
            {
                var u1 = 1.0 - random.NextDouble();
                var u2 = random.NextDouble();
                var z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                result[start + k] = (float)(image[k] + (sigma * z));
            }
        }

        return result;
    }
}
