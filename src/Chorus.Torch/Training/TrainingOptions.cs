using System.Text.Json.Serialization;
using Chorus.Torch.Models;

namespace Chorus.Torch.Training;

/// <summary>
/// How an ensemble is trained. Every member starts from one shared backbone initialisation and gets its own
/// head initialisation and data order from its member seed (<c>Seed·1000 + member index</c>).
/// </summary>
/// <param name="Members">Ensemble size n (the study uses 11).</param>
/// <param name="Epochs">Passes over the training split per member.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="LearningRate">Adam learning rate (cosine-annealed to 5% over the run).</param>
/// <param name="WeightDecay">Adam weight decay (L2).</param>
/// <param name="Seed">Training seed: shared init and member seeds derive from it.</param>
/// <param name="HorizontalFlip">Random horizontal flips of training images (class-preserving for birds).</param>
/// <param name="PretrainEpochs">
/// When above 0, the shared backbone is first trained once for this many epochs (with a throwaway head, seed
/// <see cref="Seed"/>), the way a pretrained backbone would be; each member then starts from it with a fresh head
/// and trains <see cref="Epochs"/> epochs. 0: the shared start is the seeded random initialisation.
/// </param>
/// <param name="BackboneLearningRate">
/// Learning rate of the backbone's trainable parameters for classifiers with a separate head (<see cref="Models.IHasHead"/>);
/// the head uses <see cref="LearningRate"/>. <c>null</c> (default): one rate for all parameters.
/// </param>
/// <param name="Augmentation">
/// Seeded per-batch augmentations (<see cref="Training.Augmentation"/>), drawn from a generator seeded from
/// (<see cref="Seed"/>, member, epoch). <c>null</c> (default) or <see cref="AugmentationOptions.None"/>: only
/// <see cref="HorizontalFlip"/>, exactly as before. When active, it replaces the <see cref="HorizontalFlip"/> step: an image
/// is flipped (with probability 1/2) when either <see cref="HorizontalFlip"/> or <see cref="AugmentationOptions.Flip"/> is set.
/// Left out of the serialised options when null, so run folders trained before this option existed still resume.
/// </param>
public sealed record TrainingOptions(
    int Members = 11,
    int Epochs = 4,
    int BatchSize = 64,
    double LearningRate = 3e-3,
    double WeightDecay = 1e-4,
    long Seed = 0,
    bool HorizontalFlip = true,
    int PretrainEpochs = 0,
    double? BackboneLearningRate = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AugmentationOptions? Augmentation = null)
{
    /// <summary>
    /// Memory order of the training passes (<see cref="MemoryLayout"/>). Default: channels-last, measured at 0.66–0.69× the
    /// NCHW time per training step of the small CNN at 64 px (bench <c>--engine --model small-cnn --method train-step</c>);
    /// the weights are NCHW again when an epoch loop ends, before any checkpoint is written. Not serialised itself: see
    /// <see cref="SerializedLayout"/>.
    /// </summary>
    [JsonIgnore]
    public MemoryLayout Layout { get; init; } = MemoryLayout.ChannelsLast;

    /// <summary>
    /// The optimizer: <see cref="TrainingOptimizer.AdamW"/> (default) or <see cref="TrainingOptimizer.Sgd"/> (momentum 0.9,
    /// Nesterov, same weight decay). Null means AdamW and is left out of the serialised options (and so of a run's
    /// fingerprint), so run folders from before the option resume.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonStringEnumConverter<TrainingOptimizer>))]
    public TrainingOptimizer? Optimizer { get; init; }

    /// <summary>
    /// Linear learning-rate warm-up over this many epochs (fractions allowed) at the start of every training run (the
    /// shared pre-training and each member), before the cosine schedule. Null or 0: none (left out of the fingerprint).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? WarmupEpochs { get; init; }

    /// <summary>
    /// Keep every BatchNorm layer in eval mode while training: running statistics stay as loaded (a pretrained backbone's
    /// ImageNet statistics) and batches are normalised with them. Null or false: BatchNorm trains as usual.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? FreezeBatchNorm { get; init; }

    /// <summary>
    /// Train members with a frozen trunk (<see cref="Models.BackboneClassifier.TrunkCut"/>: frozen early stages of a backbone
    /// that splits, e.g. <c>--train-stages 1</c> on the ImageNet ResNet-18) from its outputs computed once per image
    /// (<see cref="TrunkFeatures"/>), instead of running the frozen stages in every step. Default: true; it applies only when
    /// training augments with flips at most. Results equal the uncached path to float rounding. Not serialised.
    /// </summary>
    [JsonIgnore]
    public bool CacheTrunk { get; init; } = true;

    /// <summary>
    /// How the members are made (<see cref="EnsembleKind"/>). Null means <see cref="EnsembleKind.Independent"/> and is left out
    /// of the serialised options (and so of a run's fingerprint), so run folders from before the option resume.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonStringEnumConverter<EnsembleKind>))]
    public EnsembleKind? Ensemble { get; init; }

    /// <summary>
    /// <see cref="EnsembleKind.Snapshot"/>: epochs of every cycle after the first (the first, member 0, trains
    /// <see cref="Epochs"/>). Null: <see cref="DefaultSnapshotCycleEpochs"/>. Left out of the serialised options when null.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? SnapshotCycleEpochs { get; init; }

    /// <summary>The snapshot cycle when <see cref="SnapshotCycleEpochs"/> is not given: one epoch.</summary>
    public const int DefaultSnapshotCycleEpochs = 1;

    /// <summary>The kind in effect (<see cref="Ensemble"/>, independent when null).</summary>
    [JsonIgnore]
    public EnsembleKind Kind => Ensemble ?? EnsembleKind.Independent;

    /// <summary>
    /// <see cref="Layout"/> as it enters the serialised options and so a run's fingerprint: <c>channels-last</c>, or
    /// nothing for NCHW, so that run folders trained before the option existed (all NCHW) resume with
    /// <see cref="MemoryLayout.Contiguous"/> (<c>--layout nchw</c>) and are retrained, not mixed, otherwise.
    /// </summary>
    [JsonPropertyName("Layout")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SerializedLayout => Layout == MemoryLayout.ChannelsLast ? Layout.ToCliName() : null;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values outside their ranges.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Members, 1, nameof(Members));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(PretrainEpochs, 0, nameof(PretrainEpochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be a positive number.");
        }

        if (BackboneLearningRate is { } b && (!(b >= 0) || double.IsInfinity(b)))
        {
            throw new ArgumentOutOfRangeException(nameof(BackboneLearningRate), BackboneLearningRate, "The backbone learning rate must be zero or a positive number.");
        }

        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "The weight decay must be zero or positive.");
        }

        if (WarmupEpochs is { } w && (!(w >= 0) || double.IsInfinity(w)))
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs, "The warm-up must be zero or more epochs.");
        }

        if (SnapshotCycleEpochs is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SnapshotCycleEpochs), SnapshotCycleEpochs, "A snapshot cycle is at least one epoch.");
        }

        Augmentation?.Validate();
    }

    /// <summary>The augmentations in effect (flip folded in from <see cref="HorizontalFlip"/>), or null when training uses only <see cref="HorizontalFlip"/>.</summary>
    public AugmentationOptions? EffectiveAugmentation() =>
        Augmentation is null || Augmentation.IsNone ? null : Augmentation with { Flip = Augmentation.Flip || HorizontalFlip };

    /// <summary>The seed of member <paramref name="index"/>.</summary>
    public long MemberSeed(int index) => (Seed * 1000) + index;
}

/// <summary>What the trainer reports while it runs.</summary>
/// <param name="Member">0-based member index; -1 while the shared backbone is pretrained.</param>
/// <param name="Members">Ensemble size.</param>
/// <param name="Epoch">1-based epoch (0 while evaluating or when skipped).</param>
/// <param name="Epochs">Epochs per member.</param>
/// <param name="Step">Batches done in this member.</param>
/// <param name="Steps">Batches per member.</param>
/// <param name="Loss">Running mean training loss of the epoch.</param>
/// <param name="Accuracy">Running training accuracy of the epoch.</param>
/// <param name="Message">A short phase note ("training", "resumed", "done").</param>
public sealed record TrainingProgress(int Member, int Members, int Epoch, int Epochs, int Step, int Steps, double Loss, double Accuracy, string Message);

/// <summary>One trained member.</summary>
/// <summary>The optimizer of <see cref="TrainingOptions.Optimizer"/>.</summary>
public enum TrainingOptimizer
{
    /// <summary>AdamW (decoupled weight decay), the default.</summary>
    AdamW,

    /// <summary>SGD with Nesterov momentum 0.9.</summary>
    Sgd,
}

public sealed record MemberResult(
    int Index,
    long Seed,
    string Checkpoint,
    double TrainLoss,
    double TrainAccuracy,
    double TestAccuracy,
    double Seconds,
    bool Resumed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? TestBalancedAccuracy = null);
