using System.ComponentModel;
using Chorus.Study;
using Chorus.Data.Synthetic;
using Chorus.Metrics;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using Chorus.Torch.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>Options shared by <c>demo</c> and <c>train</c>.</summary>
public class StudyCommandSettings : CommandSettings
{
    [CommandOption("-o|--out <DIR>")]
    [Description("Output folder (re-running with the same folder resumes).")]
    public string Out { get; init; } = "chorus-demo";

    [CommandOption("--dataset <NAME>")]
    [Description("The dataset generated into OUT/data when --data is not given: synth-birds (default; parts beak and wings) or synth-lesions (ISIC 2018 layout; part lesion).")]
    public string? Dataset { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Use this dataset folder instead of generating one: CUB-200-2011 layout (train/test from train_test_split.txt; parts beak and wings) ISIC 2018 Task 1 with a labels CSV (train = Training, test = Validation or Test, or a seeded 70/30 split when there is one split only; part lesion), or a plain folder DIR/<class>/*.jpg|png with masks/ and/or regions.csv (split.csv or a seeded stratified split; parts: mask and the regions.csv names).")]
    public string? Data { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("Format of --data: cub, isic2018 or folder. Default: detected (images.txt: cub; ISIC2018_* folders or ISIC_*.jpg files: isic2018; class sub-folders with images: folder).")]
    public string? Format { get; init; }

    [CommandOption("--quick")]
    [Description("A miniature run for tests and CI: 48 px, 400 images (4 species for birds), 3 members, 16 IG steps, 16 images explained.")]
    public bool Quick { get; init; }

    [CommandOption("--preset <NAME>")]
    [Description("paper: the study's own setting, sized for a 2-core CPU (about 20-25 min): ImageNet ResNet-18 at 224 px with its last stage and a fresh head trained per member (the frozen stages' outputs computed once per image), 11 members x 4 epochs (batch 32), SynthBirds 8 species x 640 images (448 train, 192 test), 24 test images explained with the five methods (IG 50 steps). Every option given beside it wins.")]
    public string? Preset { get; init; }

    [CommandOption("--members <N>")]
    [Description("Ensemble size n. Default 11 (3 with --quick).")]
    public int? Members { get; init; }

    [CommandOption("--members-range <A-B>")]
    [Description("Train (and, with demo, explain) only members A to B (0-based, inclusive, e.g. 0-3), so that several processes or machines share one --out folder: each member is locked while it is worked on, and a second process claiming it stops with an error. When all members are there, `chorus evaluate --run OUT` scores the ensemble and `chorus report --run OUT` draws the report.")]
    public string? MembersRange { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Training epochs per member, from the shared backbone with a fresh head. Default 3 (2 with --quick).")]
    public int? Epochs { get; init; }

    [CommandOption("--ensemble <KIND>")]
    [Description("How the members are made: independent (default; n trainings from the shared start, the study), snapshot (one run, cyclic cosine learning rate: member 0 trains --epochs, each next member continues the previous one for --snapshot-cycle-epochs with the rate restarted, Huang et al. 2017), multi-head (one backbone trained jointly with n heads, one forward pass for all; member k = backbone + head k), frozen-trunk (members train only the last --train-stages stages, default 1, on trunk outputs computed once per image; on small-cnn the shared pre-training learns the trunk). Recorded in the manifest and member records.")]
    public string? Ensemble { get; init; }

    [CommandOption("--snapshot-cycle-epochs <N>")]
    [Description("--ensemble snapshot: epochs of each cycle after the first. Default 1.")]
    public int? SnapshotCycleEpochs { get; init; }

    [CommandOption("--pretrain-epochs <N>")]
    [Description("Epochs of the shared backbone before the members start (0: members start from one seeded random init). Default 10 (6 with --quick).")]
    public int? PretrainEpochs { get; init; }

    [CommandOption("--backbone <NAME>")]
    [Description("Classifier: small-cnn (default), resnet18-imagenet (pretrained ONNX), onnx:FILE, resnet18|resnet34|resnet50 (TorchVision, random init). Members share the backbone weights; each gets its own random head. See 'chorus models'.")]
    public string? Backbone { get; init; }

    [CommandOption("--features-tensor <NAME>")]
    [Description("ONNX backbones: cut the graph at this tensor (the features the head reads).")]
    public string? FeaturesTensor { get; init; }

    [CommandOption("--train-stages <N|all>")]
    [Description("Backbone stages trained, counted from the output (0: head only; 1: last stage, e.g. ResNet layer4). Default all.")]
    public string? TrainStages { get; init; }

    [CommandOption("--dropout <P>")]
    [Description("Dropout with probability P (0 <= P < 1) on the features the head reads, while training only. Members trained with it can give compare's mc-dropout maps. Default 0 (none; run folders from before the option resume).")]
    public double? Dropout { get; init; }

    [CommandOption("--backbone-lr <LR>")]
    [Description("Learning rate of the backbone (the head keeps --lr). Default: --lr.")]
    public double? BackboneLr { get; init; }

    [CommandOption("--lr <LR>")]
    [Description("Learning rate of the head (and of the whole model without --backbone-lr), cosine-annealed to 5 %. Default 0.003.")]
    public double? Lr { get; init; }

    [CommandOption("--batch-size <N>")]
    [Description("Training mini-batch size. Default 64.")]
    public int? BatchSize { get; init; }

    [CommandOption("--optimizer <adam|sgd>")]
    [Description("adam (AdamW, default) or sgd (Nesterov momentum 0.9); same weight decay.")]
    public string? Optimizer { get; init; }

    [CommandOption("--warmup <EPOCHS>")]
    [Description("Linear learning-rate warm-up over this many epochs (fractions allowed) at the start of each training run. Default: 0.5 for pretrained backbones, 0 otherwise.")]
    public double? Warmup { get; init; }

    [CommandOption("--freeze-bn")]
    [Description("Keep BatchNorm statistics frozen while training (layers in eval mode), e.g. a pretrained backbone's ImageNet statistics.")]
    public bool FreezeBn { get; init; }

    [CommandOption("--no-trunk-cache")]
    [Description("With frozen early stages (--train-stages N), run the frozen stages in every training step instead of computing their output once per image (kept in --cache, or in the run folder's cache/). The cache applies only without --augment (flips are cached); results agree to float rounding.")]
    public bool NoTrunkCache { get; init; }

    [CommandOption("--weights <FILE>")]
    [Description("TorchVision backbones: a PyTorch state_dict (.safetensors or .pt/.pth, read without executing code) for the backbone.")]
    public string? Weights { get; init; }

    [CommandOption("--species <N>")]
    [Description("SynthBirds species. Default 8 (4 with --quick).")]
    public int? Species { get; init; }

    [CommandOption("--size <PX>")]
    [Description("Image size in pixels (model input). Default 64 (48 with --quick).")]
    public int? Size { get; init; }

    [CommandOption("--count <N>")]
    [Description("Images generated (synth-birds, synth-lesions). Default 2000 (400 with --quick).")]
    public int? Count { get; init; }

    [CommandOption("--explain <N>")]
    [Description("Test images to explain (0 = all). Default 100 (16 with --quick).")]
    public int? Explain { get; init; }

    [CommandOption("--methods <LIST>")]
    [Description("Comma-separated methods. Default: saliency,input-x-gradient,integrated-gradients,gradient-shap,grad-cam.")]
    public string? Methods { get; init; }

    [CommandOption("--metrics <LIST>")]
    [Description("Comma-separated metrics for the table and results.csv. Default: com_distance,pearson on birds; iou,pearson on lesions.")]
    public string? Metrics { get; init; }

    [CommandOption("--ig-steps <N>")]
    [Description("Integrated Gradients steps (Gauss-Legendre). Default 50 (Captum; 16 with --quick).")]
    public int? IgSteps { get; init; }

    [CommandOption("--ig-tolerance <X>")]
    [Description("Adaptive Integrated Gradients: per image, steps climb 8, 16, 32, ... up to --ig-steps until the completeness gap |sum(attr) - (f(x) - f(baseline))| is at most X times |f(x) - f(baseline)|; steps and gap per image go to maps/integrated-gradients/member-XX.steps.csv. Default: off (every image gets --ig-steps). See the README for what it saves and costs.")]
    public double? IgTolerance { get; init; }

    [CommandOption("--aggregate <RULE>")]
    [Description("How member maps become the ensemble's map: mean (default, the study's formula), median, trimmed-mean (drops the n/10 lowest and highest values per pixel) crh (CRH truth discovery: members weighted by their closeness to the consensus, 20 rounds; scales members to max |value| 1 unless +none) or agg-var (mean / (std + 0.1) per pixel, Rieger & Hansen 2019; scales members to max |value| 1 unless +none), each optionally after a per-member normalisation: +max-abs, +sum, +rank, +second-moment (e.g. median+rank). Recorded in the manifest; `evaluate --run --aggregate` re-scores saved maps with another rule.")]
    public string? Aggregate { get; init; }

    [CommandOption("--gs-samples <N>")]
    [Description("Gradient SHAP samples per image. Default 5 (Captum).")]
    public int? GsSamples { get; init; }

    [CommandOption("--internal-batch-size <N>")]
    [Description("Images per forward/backward pass in Integrated Gradients and Gradient SHAP. Default: up to 256 images of 64x64 px per pass, fewer for larger images (20 at 224 px, never fewer than 16), so memory does not grow with steps, samples or size. Results do not depend on it (to float rounding).")]
    public int? InternalBatchSize { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of data generation, training and explanation.")]
    [DefaultValue(0L)]
    public long Seed { get; init; }

    [CommandOption("--threads <N>")]
    [Description("libtorch threads. Default: all cores (in a Slurm job: SLURM_CPUS_PER_TASK).")]
    public int? Threads { get; init; }

    [CommandOption("--on-bad-image <skip|fail>")]
    [Description("Unreadable images (ISIC: also images without mask or label): skip (default; counted, the first named in a warning, all listed in OUT/skipped.csv and counted in the manifest) or fail (stop at the first with an error naming the file).")]
    public string? OnBadImage { get; init; }

    [CommandOption("--classes <IDS>")]
    [Description("CUB-layout data only: keep these class ids, e.g. 1-66 or 1,5,9-12 (labels renumbered 0..k-1). Default all.")]
    public string? Classes { get; init; }

    [CommandOption("--roi-shape <disc|gaussian>")]
    [Description("Regions built from keypoints (CUB without part masks, folder regions.csv points): disc (default) or gaussian (σ = radius, cut at 3σ; binary metrics use values ≥ 0.5).")]
    public string? RoiShape { get; init; }

    [CommandOption("--roi-radius <F>")]
    [Description("Keypoint region radius as a fraction of max(bird box side) (of the image side without a box). Default 0.1.")]
    public double? RoiRadius { get; init; }

    [CommandOption("--test-fraction <F>")]
    [Description("Datasets with one split only (flat ISIC folders, plain folders without split.csv): share held out for test, seeded by --seed. Default 0.3.")]
    public double? TestFraction { get; init; }

    [CommandOption("--augment <none|standard>")]
    [Description("Training augmentations: none (default: random horizontal flips only) or standard (flip, ±10° rotation, ±10% zoom and shift, brightness/contrast/saturation ±0.2), seeded per member and epoch.")]
    public string? Augment { get; init; }

    [CommandOption("--crop")]
    [Description("Resize each image's shorter side to --size and keep the centred square (torchvision Resize + CenterCrop), instead of stretching it to a square; masks, boxes and keypoints follow. For real photographs (CUB, ISIC, folders) of other aspect ratios.")]
    public bool Crop { get; init; }

    [CommandOption("--cache <DIR|off>")]
    [Description("Folder of decoded, resized splits, reused while the dataset files and loading options are unchanged (an 11-member run, and re-runs, decode each image once). Default off.")]
    public string? Cache { get; init; }

    [CommandOption("--precision <fp32|bf16>")]
    [Description("Precision of the explanations: fp32 (default) or bf16 (model and activations in bfloat16; maps float32). Measured 2-25x slower than fp32 on a CPU without native bf16 (see bench/README.md).")]
    public string? Precision { get; init; }

    [CommandOption("--layout <channels-last|nchw>")]
    [Description("Memory order of the model passes when training and explaining: channels-last (default; measured 10-35% faster on this CPU) or nchw (as Captum; also to resume a run folder trained or explained before this option existed). Results agree to float rounding; recorded in the manifest.")]
    public string? Layout { get; init; }

    [CommandOption("--min-accuracy <F>")]
    [Description("Stop with exit code 2, before explaining, when a member's held-out accuracy is below F (0-1). Without it, members not clearly above the majority-class baseline are only warned about and marked.")]
    public double? MinAccuracy { get; init; }

    [CommandOption("--numerics <NAME>")]
    [Description(Infrastructure.NumericsOption.Help)]
    public string? Numerics { get; init; }

    [CommandOption("--faithfulness")]
    [Description("Also compute deletion/insertion AUC (Ens-Avg vs Exp-Avg) after the explanations, as 'evaluate --faithfulness' does with its defaults (8 steps, 50 images, blur baseline). About a minute on the default demo.")]
    public bool Faithfulness { get; init; }

    [CommandOption("--skip-bad-images", IsHidden = true)]
    [Description("Deprecated: same as --on-bad-image skip, now the default.")]
    public bool SkipBadImages { get; init; }

    /// <summary>Whether the dataset is generated as SynthLesions.</summary>
    private bool Lesions => Data is null && Dataset == StudySettings.SynthLesionsName;

    /// <summary>
    /// The recipe for pretrained backbones (every backbone but small-cnn), when --backbone-lr and --warmup are not given:
    /// backbone at 1/30 of the head's rate, half an epoch of warm-up. Chosen by bench/recipe-sweep.sh
    /// (bench/results/recipe_sweep_224.md: ImageNet ResNet-18, 224 px, SynthBirds 8 species, 2 members × 3 epochs): one rate
    /// for all parameters stayed at chance (10.4 %), backbone 1e-3 12.5 %, 3e-4 53.1 %, 1e-4 79.2 %, 1e-4 + warm-up 86.5 %.
    /// </summary>
    public const double PretrainedBackboneLrRatio = 30;

    /// <summary>Warm-up epochs of the pretrained recipe.</summary>
    public const double PretrainedWarmupEpochs = 0.5;

    /// <summary>
    /// Batch size of <c>--preset paper</c>: with 448 training images, batches of 32 give 56 steps in 4 epochs; with the
    /// default 64 (28 steps) two members of the preset measured 89.6 % and 84.9 % against 94.8 % and 90.1 % with 32.
    /// </summary>
    public const int PaperBatchSize = 32;

    /// <summary>The name of the study's own setting (<c>--preset paper</c>).</summary>
    public const string PaperPreset = "paper";

    private bool Paper => Preset == PaperPreset;

    private string? EffectiveBackbone => Backbone ?? (Paper ? BackboneSpec.ResNet18ImageNet : null);

    private bool Pretrained => EffectiveBackbone is not null && EffectiveBackbone != BackboneSpec.SmallCnn;

    /// <summary>Turns the options into study settings, applying --quick defaults and the ensemble kind's (<see cref="EnsembleKindSettings.WithEnsemble"/>).</summary>
    public StudySettings ToStudySettings() =>
        Settings().WithEnsemble(Ensemble is null ? EnsembleKind.Independent : EnsembleKinds.Parse(Ensemble));

    private StudySettings Settings()
    {
        var q = Quick;
        var paper = Paper;
        var size = Size ?? (q ? 48 : paper ? 224 : 64);
        var count = Count ?? (q ? 400 : paper ? 640 : 2000);
        var synth = new SynthBirdsOptions(Species ?? (q ? 4 : 8), size, count, 0.3, Seed);
        var lesions = new SynthLesionsOptions(count, size, 0.3, Seed);
        var training = new TrainingOptions(Members: Members ?? (q ? 3 : 11), Epochs: Epochs ?? (q ? 2 : paper ? 4 : 3), Seed: Seed, PretrainEpochs: PretrainEpochs ?? (EffectiveBackbone is null or BackboneSpec.SmallCnn ? (q ? 6 : 10) : 0), BackboneLearningRate: BackboneLr ?? (Pretrained ? (Lr ?? new TrainingOptions().LearningRate) / PretrainedBackboneLrRatio : null))
        {
            LearningRate = Lr ?? new TrainingOptions().LearningRate,
            BatchSize = BatchSize ?? (paper ? PaperBatchSize : new TrainingOptions().BatchSize),
            Optimizer = Optimizer switch
            {
                null => null,
                "adam" or "adamw" => null,
                "sgd" => TrainingOptimizer.Sgd,
                _ => throw new ArgumentException($"--optimizer: expected adam or sgd, got '{Optimizer}'."),
            },
            WarmupEpochs = (Warmup ?? (Pretrained ? PretrainedWarmupEpochs : 0)) is > 0 and var w ? w : null,
            FreezeBatchNorm = FreezeBn ? true : null,
            CacheTrunk = !NoTrunkCache,
            Augmentation = Augment is null ? null : AugmentationOptions.Parse(Augment),
            Layout = Layout is null ? MemoryLayout.ChannelsLast : ExplainCommandSettings.ParseLayout(Layout),
            SnapshotCycleEpochs = SnapshotCycleEpochs,
        };
        var igSteps = IgSteps ?? (q ? 16 : 50);
        var gsSamples = GsSamples ?? 5;
        var attribution = new AttributionSettings
        {
            IntegratedGradients = new IntegratedGradientsOptions { Steps = igSteps, InternalBatchSize = InternalBatchSize ?? StudySettings.InternalBatchFor(size, igSteps), Tolerance = IgTolerance },
            GradientShap = new GradientShapOptions { Samples = gsSamples, InternalBatchSize = InternalBatchSize ?? StudySettings.InternalBatchFor(size, gsSamples) },
            GradCam = new GradCamOptions(Relu: true, Upsample: CamUpsample.Bilinear),
            GradCamPlusPlus = new GradCamPlusPlusOptions(Relu: true, Upsample: CamUpsample.Bilinear),
            Precision = Precision is null ? Torch.Attribution.Precision.Float32 : ExplainCommandSettings.ParsePrecision(Precision),
            Layout = training.Layout,
        };
        return new StudySettings
        {
            Out = Out,
            Dataset = Dataset ?? StudySettings.SynthBirdsName,
            Data = Data,
            Format = Format,
            Synth = synth,
            Lesions = lesions,
            ImageSize = size,
            Training = training,
            Backbone = new BackboneSpec(EffectiveBackbone ?? BackboneSpec.SmallCnn, FeaturesTensor, ParseStages(TrainStages ?? (paper && Pretrained ? "1" : null)), Weights, Dropout: Dropout ?? 0),
            Preset = Preset,
            MemberRange = MembersRange is null ? null : Chorus.Runs.MemberRange.Parse(MembersRange),
            Aggregate = Aggregate is null ? "mean" : Chorus.Ensembles.EnsembleAggregator.Parse(Aggregate).Name,
            Attribution = attribution,
            ExplainCount = Explain ?? (q ? 16 : paper ? 24 : 100),
            Methods = Methods is null ? Torch.Explaining.EnsembleExplainer.StudyMethods : Split(Methods),
            Metrics = Metrics is null ? null : Split(Metrics),
            Figures = q ? 2 : 4,
            Seed = Seed,
            Threads = Threads ?? Chorus.Runs.SchedulerEnvironment.Current.DefaultThreads,
            Numerics = Numerics,
            MinAccuracy = MinAccuracy,
            OnBadImage = OnBadImage == "fail" ? BadImagePolicy.Fail : BadImagePolicy.Skip,
            Classes = Classes,
            Roi = new Chorus.Data.Regions.RoiOptions(RoiRadius ?? 0.1, Shape: RoiShape switch
            {
                null or "disc" => Chorus.Data.Regions.RoiShape.Disc,
                "gaussian" => Chorus.Data.Regions.RoiShape.Gaussian,
                _ => throw new ArgumentException($"--roi-shape: expected disc or gaussian, got '{RoiShape}'."),
            }),
            TestFraction = TestFraction ?? 0.3,
            Cache = Cache is null || Cache.Equals("off", StringComparison.OrdinalIgnoreCase) ? null : Cache,
            Crop = Crop,
            Faithfulness = Faithfulness,
        };
    }

    public override ValidationResult Validate()
    {
        try
        {
            if (Infrastructure.NumericsOption.Validate(Numerics) is { } numericsError)
            {
                return ValidationResult.Error(numericsError);
            }

            if (Preset is not null && Preset != PaperPreset)
            {
                return ValidationResult.Error($"--preset: unknown preset '{Preset}'; known: {PaperPreset}.");
            }

            if (MembersRange is not null)
            {
                try
                {
                    _ = Chorus.Runs.MemberRange.Parse(MembersRange);
                }
                catch (FormatException e)
                {
                    return ValidationResult.Error($"--members-range: {e.Message}");
                }
            }

            if (Preset is not null && Quick)
            {
                return ValidationResult.Error("--preset and --quick are two sets of defaults; give one.");
            }

            if (MinAccuracy is { } minAccuracy && !(minAccuracy >= 0 && minAccuracy <= 1))
            {
                return ValidationResult.Error("--min-accuracy must be between 0 and 1.");
            }

            if (Dataset is not null && !StudySettings.GeneratedNames.Contains(Dataset))
            {
                return ValidationResult.Error($"--dataset: unknown dataset '{Dataset}'. Known: {string.Join(", ", StudySettings.GeneratedNames)} (for a folder, use --data).");
            }

            if (Dataset is not null && Data is not null)
            {
                return ValidationResult.Error("--dataset generates a dataset and --data reads one: give only one of them.");
            }

            if (Format is not null && !StudyDataset.FormatNames.Contains(Format))
            {
                return ValidationResult.Error($"--format: unknown format '{Format}'. Known: {string.Join(", ", StudyDataset.FormatNames)}.");
            }

            if (Format is not null && Data is null)
            {
                return ValidationResult.Error("--format describes --data; give --data too.");
            }

            if (OnBadImage is not null and not ("skip" or "fail"))
            {
                return ValidationResult.Error($"--on-bad-image: expected skip or fail, got '{OnBadImage}'.");
            }

            if (SkipBadImages && OnBadImage == "fail")
            {
                return ValidationResult.Error("--skip-bad-images contradicts --on-bad-image fail.");
            }

            if (Species is not null && Lesions)
            {
                return ValidationResult.Error("--species applies to synth-birds only.");
            }

            var s = ToStudySettings();
            if (Data is null && !Lesions)
            {
                s.Synth.Validate();
            }
            else if (Lesions)
            {
                s.Lesions.Validate();
            }

            if (SnapshotCycleEpochs is not null && s.Training.Kind != EnsembleKind.Snapshot)
            {
                return ValidationResult.Error("--snapshot-cycle-epochs applies to --ensemble snapshot only.");
            }

            s.Training.Validate();
            if (s.MemberRange is { } range && range.Last >= s.Training.Members)
            {
                return ValidationResult.Error($"--members-range {range}: the ensemble has {s.Training.Members} members, 0-{s.Training.Members - 1}.");
            }
            s.Backbone.Validate();
            s.Roi.Validate();
            if (IgTolerance is { } tolerance && !(tolerance > 0 && double.IsFinite(tolerance)))
            {
                return ValidationResult.Error($"--ig-tolerance must be a positive number (a fraction of |f(x) - f(baseline)|, e.g. 0.05); got {tolerance}.");
            }

            if (s.TestFraction is <= 0 or >= 1)
            {
                return ValidationResult.Error("--test-fraction must be in (0, 1).");
            }

            if (Classes is not null)
            {
                if (Lesions || Format is StudyDataset.Isic2018 or StudyDataset.Folder)
                {
                    return ValidationResult.Error("--classes applies to CUB-layout data (SynthBirds or --data in the cub format) only.");
                }

                try
                {
                    Chorus.Data.Cub.ClassSelection.Parse(Classes);
                }
                catch (FormatException e)
                {
                    return ValidationResult.Error($"--classes: {e.Message}");
                }
            }
            foreach (var m in s.Methods.Where(m => !AttributionMethodFactory.Names.Contains(m)))
            {
                return ValidationResult.Error($"--methods: unknown method '{m}'. Known: {string.Join(", ", AttributionMethodFactory.Names)}.");
            }

            foreach (var m in (s.Metrics ?? []).Where(m => !MetricRegistry.Names.Contains(m)))
            {
                return ValidationResult.Error($"--metrics: unknown metric '{m}'. Known: {string.Join(", ", MetricRegistry.Names)}.");
            }

            if (s.ImageSize is < 16 or > 512)
            {
                return ValidationResult.Error("--size must be in 16..512.");
            }

            if (s.Threads < 1)
            {
                return ValidationResult.Error("--threads must be at least 1.");
            }

            if (InternalBatchSize is < 1)
            {
                return ValidationResult.Error("--internal-batch-size must be at least 1.");
            }

            return ValidationResult.Success();
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(e.Message.ReplaceLineEndings(" "));
        }
    }

    private static int? ParseStages(string? value) => value is null or "all" ? null
        : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw new ArgumentException($"--train-stages: expected a number or 'all', got '{value}'.");

    private static string[] Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
