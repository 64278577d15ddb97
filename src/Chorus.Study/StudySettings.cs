using Chorus.Data.Synthetic;
using Chorus.Torch.Attribution;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>Everything one study run needs; recorded in the run's manifest.</summary>
public sealed record StudySettings
{
    /// <summary>Output folder: data/ (when generated), run/ (checkpoints, maps), results, figures, manifest.</summary>
    public required string Out { get; init; }

    /// <summary><see cref="Data"/>'s name for SynthBirds (the default).</summary>
    public const string SynthBirdsName = "synth-birds";

    /// <summary><see cref="Data"/>'s name for SynthLesions.</summary>
    public const string SynthLesionsName = "synth-lesions";

    /// <summary>The generated datasets <see cref="Dataset"/> accepts.</summary>
    public static readonly IReadOnlyList<string> GeneratedNames = [SynthBirdsName, SynthLesionsName];

    /// <summary>The dataset generated into <c>Out/data</c> when <see cref="Data"/> is null: synth-birds or synth-lesions.</summary>
    public string Dataset { get; init; } = SynthBirdsName;

    /// <summary>A dataset folder to use instead of generating one.</summary>
    public string? Data { get; init; }

    /// <summary>Format of <see cref="Data"/> (<c>cub</c>, <c>isic2018</c>); null to detect it from the folder.</summary>
    public string? Format { get; init; }

    /// <summary>SynthBirds options when the dataset is generated as synth-birds.</summary>
    public SynthBirdsOptions Synth { get; init; } = new();

    /// <summary>SynthLesions options when the dataset is generated as synth-lesions.</summary>
    public SynthLesionsOptions Lesions { get; init; } = new();

    /// <summary>Images explained together (one batch of <see cref="Torch.Explaining.EnsembleExplainer"/>).</summary>
    public const int ExplainBatch = 16;

    /// <summary>
    /// Pixels per forward/backward pass that Integrated Gradients and Gradient SHAP may use when no internal batch size
    /// is given: 256 images of 64×64 (1 Mpx), fewer images the larger they are, so peak memory does not grow with steps,
    /// samples or image size. Measured on the small CNN at 64 px, IG 50 steps × 16 images, with the native allocator
    /// keeping freed memory (bench <c>--engine --model small-cnn --method integrated-gradients --internal-batch-size N</c>):
    /// 0.042–0.054 s/img for 32–800 images per pass (speed does not depend on it), peak RSS 0.36 / 0.42 / 0.67 / 1.0 /
    /// 2.6 GB for 32 / 64 / 128 / 256 / 800. Unbounded, 50 steps × 16 images at 224 px would hold ≈ 28 MiB of
    /// ResNet-18 activations per image (extrapolated from bench/results/memory_112.md): ≈ 22 GB.
    /// </summary>
    public const long PassPixelBudget = 256L * 64 * 64;

    /// <summary>Side of the model's square input (images are resized to it).</summary>
    public int ImageSize { get; init; } = 64;

    /// <summary>Ensemble training.</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>The classifier (backbone, cut, trained stages, weights); small-cnn by default.</summary>
    public Chorus.Torch.Models.BackboneSpec Backbone { get; init; } = new();

    /// <summary>Widths of the SmallCnn blocks.</summary>
    public int[] Widths { get; init; } = [16, 32, 64, 64];

    /// <summary>Methods to explain with, in table order.</summary>
    public IReadOnlyList<string> Methods { get; init; } = Torch.Explaining.EnsembleExplainer.StudyMethods;

    /// <summary>Options of every method.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public AttributionSettings Attribution { get; init; } = new();

    /// <summary>How [C,H,W] attributions become one map.</summary>
    public MapReduction Reduction { get; init; } = MapReduction.SumAbs;

    /// <summary>Number of test images explained (0 = all).</summary>
    public int ExplainCount { get; init; } = 100;

    /// <summary>Metrics to compute (names of the metric registry); null for the dataset's defaults (birds: com_distance, pearson; lesions: iou, pearson).</summary>
    public IReadOnlyList<string>? Metrics { get; init; }

    /// <summary>The forced numerics configuration (<c>--numerics</c>: a name, or auto); null leaves it to <c>CHORUS_NUMERICS</c> or the probes.</summary>
    public string? Numerics { get; init; }

    /// <summary>Stop before explaining (exit 2) when a member's held-out accuracy is below this; null: only warn when a member is not clearly above the majority-class baseline.</summary>
    public double? MinAccuracy { get; init; }

    /// <summary>Images for which figures are drawn.</summary>
    public int Figures { get; init; } = 4;

    /// <summary>Seed of the explained-image selection and of stochastic methods.</summary>
    public long Seed { get; init; }

    /// <summary>libtorch intra-op threads (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Unreadable images: skip them (counted, warned, listed in skipped.csv; the default) or stop at the first.</summary>
    public BadImagePolicy OnBadImage { get; init; } = BadImagePolicy.Skip;

    /// <summary>CUB-layout data: the class ids kept (<c>1-66</c>), or null for all.</summary>
    public string? Classes { get; init; }

    /// <summary>How keypoint regions are built (shape and radius).</summary>
    public Chorus.Data.Regions.RoiOptions Roi { get; init; } = new();

    /// <summary>Test share for datasets with one split only (seeded by <see cref="Seed"/>).</summary>
    public double TestFraction { get; init; } = 0.3;

    /// <summary>Folder of cached decoded splits, or null.</summary>
    public string? Cache { get; init; }

    /// <summary>
    /// Resize the shorter side to <see cref="ImageSize"/> and keep the centred square (torchvision <c>Resize</c> +
    /// <c>CenterCrop</c>) instead of stretching each image to a square; regions are transformed the same way.
    /// </summary>
    public bool Crop { get; init; }

    /// <summary>Also compute deletion/insertion faithfulness after explaining.</summary>
    public bool Faithfulness { get; init; }

    /// <summary>
    /// How member maps become the ensemble's map (<see cref="Chorus.Ensembles.EnsembleAggregator.Parse"/>): <c>mean</c> (default, the study's
    /// formula), <c>median</c>, either after a per-member normalisation (<c>mean+rank</c>, …).
    /// </summary>
    public string Aggregate { get; init; } = "mean";

    /// <summary>The aggregator of <see cref="Aggregate"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Chorus.Ensembles.IEnsembleAggregator Aggregator => Chorus.Ensembles.EnsembleAggregator.Parse(Aggregate);

    /// <summary>
    /// Only these members are trained and explained (<c>--members-range</c>); null: all. Not part of the recorded options:
    /// every process working on one folder has its own (the manifest's <c>results.members_range</c>).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Chorus.Runs.MemberRange? MemberRange { get; init; }

    /// <summary>The preset the defaults came from (<c>paper</c>), or null.</summary>
    public string? Preset { get; init; }

    /// <summary>The options the dataset is opened with.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public StudyDataOptions DataOptions => new(OnBadImage, Seed, TestFraction, Classes, Roi, Cache, Crop);

    /// <summary>Whether the dataset is generated (no <see cref="Data"/>) as SynthLesions.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool GeneratesLesions => Data is null && Dataset == SynthLesionsName;

    /// <summary>
    /// The internal batch size for a method that needs <paramref name="passesPerImage"/> model passes per image on
    /// <see cref="ExplainBatch"/> images of <paramref name="size"/>² pixels: null (everything in one pass) when that fits in
    /// <see cref="PassPixelBudget"/>, else the number of images that does (at least one batch).
    /// </summary>
    public static int? InternalBatchFor(int size, int passesPerImage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(passesPerImage, 1);
        var images = Math.Max(ExplainBatch, PassPixelBudget / ((long)size * size));
        return (long)passesPerImage * ExplainBatch <= images ? null : (int)images;
    }
}
