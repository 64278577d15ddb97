using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Chorus.Data.Cub;
using Chorus.Data.Folders;
using Chorus.Data.Isic;
using Chorus.Data.Loading;
using Chorus.Data.Regions;

namespace Chorus.Study;

/// <summary>What the study does with an image (or, for ISIC, a file) it cannot use.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BadImagePolicy>))]
public enum BadImagePolicy
{
    /// <summary>Leave it out, count it, warn naming the first, and list it in <c>skipped.csv</c>.</summary>
    Skip,

    /// <summary>Stop at the first with an error naming the file.</summary>
    Fail,
}

/// <summary>How a <see cref="StudyDataset"/> is opened.</summary>
/// <param name="OnBadImage">Skip or fail on unreadable images (and, for ISIC, on files with problems).</param>
/// <param name="SplitSeed">Seed of the train/test split when the dataset has only one split of its own.</param>
/// <param name="TestFraction">Share of the images put in the test split in that case. Default 0.3.</param>
/// <param name="Classes">CUB only: the class ids kept (<c>1-66</c>, <c>1,5,9-12</c>; labels renumbered 0..k−1). Default all.</param>
/// <param name="Roi">How keypoint regions are built (shape, radius). Default <c>new RoiOptions()</c> (disc, 0.1).</param>
/// <param name="Cache">Folder of decoded, resized splits reused while the dataset files and options are unchanged
/// (<see cref="SplitCache"/>). Default null: decode every time.</param>
/// <param name="Crop">Shorter side to the model's size, then the centred square (<see cref="SplitLoadOptions.Crop"/>),
/// instead of stretching. Default false.</param>
public sealed record StudyDataOptions(
    BadImagePolicy OnBadImage = BadImagePolicy.Skip,
    long SplitSeed = 0,
    double TestFraction = 0.3,
    string? Classes = null,
    RoiOptions? Roi = null,
    string? Cache = null,
    bool Crop = false);

/// <summary>The two splits of a study, decoded at the model's size, and every image left out while reading them.</summary>
/// <param name="Train">The training split (labels required).</param>
/// <param name="Test">The test split, with one region per <see cref="StudyDataset.Parts"/> entry.</param>
/// <param name="Skipped">Images (or files) left out, train first; empty under <see cref="BadImagePolicy.Fail"/>.</param>
public sealed record StudySplits(LoadedSplit Train, LoadedSplit Test, IReadOnlyList<SkippedImage> Skipped);

/// <summary>
/// A dataset the study can run on: its format, class names, the parts (regions) it scores, and how it loads its
/// train and test splits. One subclass per format; <see cref="Open"/> and <see cref="Detect"/> pick it from
/// <see cref="Formats"/>, so adding a format is one subclass and one line there.
/// </summary>
public abstract class StudyDataset
{
    /// <summary>The CUB-200-2011 layout (also SynthBirds).</summary>
    public const string Cub = "cub";

    /// <summary>The ISIC 2018 Task 1 layout (also SynthLesions).</summary>
    public const string Isic2018 = "isic2018";

    /// <summary>Plain folders: <c>root/&lt;class&gt;/*.jpg|png</c> with optional masks and regions.csv.</summary>
    public const string Folder = "folder";

    private readonly List<string> _warnings = [];
    private string? _fingerprint;

    /// <summary>Every format: name, whether a folder looks like it, and how to open it (tried in this order by <see cref="Detect"/>).</summary>
    private static readonly IReadOnlyList<(string Name, Func<string, bool> Looks, Func<string, StudyDataOptions, StudyDataset> Open)> Formats =
    [
        (Cub, CubStudyDataset.Looks, CubStudyDataset.Open),
        (Isic2018, IsicStudyDataset.Looks, IsicStudyDataset.Open),
        (Folder, FolderStudyDataset.Looks, FolderStudyDataset.Open),
    ];

    /// <param name="root">The dataset folder.</param>
    /// <param name="options">How it was opened.</param>
    protected StudyDataset(string root, StudyDataOptions options)
    {
        Root = root;
        Options = options;
    }

    /// <summary>The format names <see cref="Open"/> accepts.</summary>
    public static IReadOnlyList<string> FormatNames { get; } = [.. Formats.Select(f => f.Name)];

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>How the dataset was opened.</summary>
    public StudyDataOptions Options { get; }

    /// <summary>Notes from loading (e.g. a damaged cache file that was rebuilt), for the caller to show.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>The format name (<see cref="Cub"/>, <see cref="Isic2018"/>, <see cref="Folder"/>).</summary>
    public abstract string Format { get; }

    /// <summary>Class names by class index.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>Names of the regions scored, in table order (birds: beak, wings; lesions: lesion).</summary>
    public abstract IReadOnlyList<string> Parts { get; }

    /// <summary>The metrics printed when none are asked for.</summary>
    public abstract IReadOnlyList<string> DefaultMetrics { get; }

    /// <summary>Images in the train and test splits before decoding (for progress).</summary>
    public abstract (int Train, int Test) Counts { get; }

    /// <summary>How the train and test splits were formed, in words (recorded in the manifest).</summary>
    public abstract string SplitDescription { get; }

    /// <summary>The default parts of a format: what an old run folder (without a dataset record) scored.</summary>
    public static IReadOnlyList<string> DefaultParts(string format) => format switch
    {
        Isic2018 => [IsicDataset.LesionRegion],
        _ => CubStudyDataset.StudyParts.Select(p => p.Name).ToList(),
    };

    /// <summary>
    /// The format of <paramref name="dir"/>: <c>images.txt</c> → cub; <c>ISIC2018_*</c> folders or <c>ISIC_*.jpg</c>
    /// files → isic2018.
    /// </summary>
    /// <exception cref="ChorusException">The folder is missing or matches no format; the message names it.</exception>
    /// <param name="dir">The folder.</param>
    /// <param name="forChecking">
    /// For <c>chorus data check</c>: any of CUB's four text files means cub (so a CUB folder missing <c>images.txt</c> is
    /// checked as one and the missing file reported), and a folder that matches nothing is checked as a plain folder.
    /// </param>
    public static string Detect(string dir, bool forChecking = false)
    {
        if (!Directory.Exists(dir))
        {
            throw new ChorusException($"Data folder '{dir}' does not exist.");
        }

        if (forChecking && CubStudyDataset.TextFiles.Any(f => File.Exists(Path.Combine(dir, f))))
        {
            return Cub;
        }

        foreach (var (name, looks, _) in Formats)
        {
            if (looks(dir))
            {
                return name;
            }
        }

        if (forChecking)
        {
            return Folder;
        }

        throw new ChorusException($"Cannot tell the format of data folder '{dir}': no images.txt (cub), no ISIC2018_* folders or ISIC_*.jpg files (isic2018), no class sub-folders with images (folder); pass --format.");
    }

    /// <summary>Opens <paramref name="dir"/> in <paramref name="format"/> (null: <see cref="Detect"/>) and checks it can be studied.</summary>
    /// <exception cref="ChorusException">Unknown format, missing folder, a malformed dataset or one without labels; the message names the folder or file.</exception>
    public static StudyDataset Open(string dir, string? format, StudyDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(options);
        format ??= Detect(dir);
        var kind = Formats.FirstOrDefault(f => f.Name == format);
        if (kind.Name is null)
        {
            throw new ChorusException($"Unknown --format '{format}': use {string.Join(" or ", FormatNames)}.");
        }

        if (!Directory.Exists(dir))
        {
            throw new ChorusException($"Data folder '{dir}' does not exist.");
        }

        return kind.Open(dir, options);
    }

    /// <summary>Decodes both splits at <paramref name="size"/>×<paramref name="size"/>; the test split carries the regions of <see cref="Parts"/>.</summary>
    /// <param name="size">Side of the model's input.</param>
    /// <param name="progress">Receives the number of images decoded so far, over both splits.</param>
    /// <param name="cancellationToken">Stops between images.</param>
    /// <exception cref="Chorus.Data.Imaging.ImageDataException">An unreadable image under <see cref="BadImagePolicy.Fail"/>.</exception>
    public abstract StudySplits LoadSplits(int size, IProgress<int>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>The test split only, exactly as <see cref="LoadSplits"/> gives it (used to reload a finished run).</summary>
    public virtual LoadedSplit LoadTest(int size, CancellationToken cancellationToken = default) =>
        LoadSplits(size, null, cancellationToken).Test;

    /// <summary>The record of this dataset written to the manifest (<c>options.dataset</c>) and read back by <see cref="RunFolder"/>.</summary>
    public JsonObject Describe() => new()
    {
        ["format"] = Format,
        ["root"] = Root,
        ["parts"] = new JsonArray([.. Parts.Select(p => (JsonNode)p)]),
        ["classes"] = ClassNames.Count,
        ["split"] = SplitDescription,
        ["split_seed"] = Options.SplitSeed,
        ["test_fraction"] = Options.TestFraction,
        ["on_bad_image"] = Options.OnBadImage.ToString().ToLowerInvariant(),
        ["classes_selected"] = Options.Classes,
        ["roi_shape"] = (Options.Roi ?? new RoiOptions()).Shape.ToString().ToLowerInvariant(),
        ["roi_radius"] = (Options.Roi ?? new RoiOptions()).DiscRadiusFraction,
        ["crop"] = Options.Crop,
    };

    /// <summary>The split options of <see cref="Options"/>.</summary>
    protected SplitLoadOptions LoadOptions(IReadOnlyList<RoiPart>? parts = null) =>
        new(parts, SkipCorrupt: Options.OnBadImage == BadImagePolicy.Skip, Roi: Options.Roi, Crop: Options.Crop);

    /// <summary>
    /// <paramref name="decode"/> through <see cref="StudyDataOptions.Cache"/>: the cached split of (this folder and
    /// its files, <paramref name="formatKey"/>, <paramref name="split"/>, size, options), decoded and stored on a miss.
    /// </summary>
    protected LoadedSplit Cached(string formatKey, string split, int size, SplitLoadOptions options, Func<LoadedSplit> decode)
    {
        if (Options.Cache is null)
        {
            return decode();
        }

        // The fingerprint walks every file of the dataset: once per dataset, not once per split.
        _fingerprint ??= SplitCacheKey.FingerprintFiles(Path.GetFullPath(Root));
        return SplitCache.GetOrLoad(Options.Cache, SplitCacheKey.Create(Root, formatKey, split, size, options, _fingerprint), decode, _warnings.Add);
    }

    /// <summary>Progress of a second load, reported after <paramref name="offset"/> images of a first one.</summary>
    protected static IProgress<int>? Offset(IProgress<int>? progress, int offset) =>
        progress is null ? null : new Progress(n => progress.Report(offset + n));

    /// <summary>A synchronous <see cref="IProgress{T}"/> (the caller's own reporter decides about threads).</summary>
    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}

/// <summary>A CUB-200-2011-layout folder (real CUB or SynthBirds): its own train/test split, parts beak and wings.</summary>
public sealed class CubStudyDataset : StudyDataset
{
    /// <summary>The parts the study scores on birds.</summary>
    public static readonly IReadOnlyList<Chorus.Data.Regions.RoiPart> StudyParts = [Chorus.Data.Regions.RoiPart.Beak, Chorus.Data.Regions.RoiPart.Wings];

    private CubStudyDataset(string root, StudyDataOptions options, CubDataset dataset)
        : base(root, options)
    {
        Dataset = dataset;
    }

    /// <summary>The dataset read.</summary>
    public CubDataset Dataset { get; }

    public override string Format => Cub;

    public override IReadOnlyList<string> ClassNames => [.. Dataset.Classes.Select(c => c.Name)];

    public override IReadOnlyList<string> Parts => [.. StudyParts.Select(p => p.Name)];

    public override IReadOnlyList<string> DefaultMetrics => ["com_distance", "pearson"];

    public override (int Train, int Test) Counts => (Dataset.Split(CubSplit.Train).Count, Dataset.Split(CubSplit.Test).Count);

    public override string SplitDescription => "train_test_split.txt";

    /// <summary>CUB's required text files.</summary>
    internal static readonly string[] TextFiles = ["images.txt", "classes.txt", "image_class_labels.txt", "train_test_split.txt"];

    internal static bool Looks(string dir) => File.Exists(Path.Combine(dir, "images.txt"));

    internal static StudyDataset Open(string dir, StudyDataOptions options)
    {
        try
        {
            IReadOnlySet<int>? classes = null;
            if (options.Classes is not null)
            {
                try
                {
                    classes = ClassSelection.Parse(options.Classes);
                }
                catch (FormatException e)
                {
                    throw new ChorusException($"--classes: {e.Message}", e);
                }
            }

            return new CubStudyDataset(dir, options, CubDataset.Load(dir, new CubLoadOptions(Classes: classes)));
        }
        catch (CubFormatException e)
        {
            throw new ChorusException(e.Message, e);
        }
    }

    /// <summary>The cache's format key: <c>cub</c>, with the class selection when there is one (it changes the split).</summary>
    private string FormatKey => Options.Classes is null ? Cub : $"{Cub}[classes={ClassSelection.Format(ClassSelection.Parse(Options.Classes))}]";

    public override StudySplits LoadSplits(int size, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var options = LoadOptions();
        var train = Cached(FormatKey, "Train", size, options, () => Dataset.LoadSplit(CubSplit.Train, size, options, progress, cancellationToken));
        var test = LoadTest(size, Offset(progress, Counts.Train), cancellationToken);
        return new StudySplits(train, test, [.. train.Skipped, .. test.Skipped]);
    }

    public override LoadedSplit LoadTest(int size, CancellationToken cancellationToken = default) => LoadTest(size, null, cancellationToken);

    private LoadedSplit LoadTest(int size, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var options = LoadOptions(StudyParts);
        return Cached(FormatKey, "Test", size, options, () => Dataset.LoadSplit(CubSplit.Test, size, options, progress, cancellationToken));
    }
}

/// <summary>
/// An ISIC 2018 Task 1 folder (real ISIC or SynthLesions) with a labels CSV: the lesion mask is the one part.
/// Train is the Training split, test the Validation split (else Test); when only one split has images, a seeded
/// <see cref="StudyDataOptions.TestFraction"/> of them is the test split.
/// </summary>
public sealed class IsicStudyDataset : StudyDataset
{
    private readonly IReadOnlyList<SkippedImage> _problems;
    private readonly IsicSplit? _train;
    private readonly IsicSplit? _test;

    private IsicStudyDataset(string root, StudyDataOptions options, IsicDataset dataset)
        : base(root, options)
    {
        Dataset = dataset;
        _problems = [.. dataset.Problems.Select(p => new SkippedImage(IdOf(p.File), Path.Combine(dataset.Root, p.File), p.Line > 0 ? $"line {p.Line}: {p.Message}" : p.Message))];
        var training = dataset.Split(IsicSplit.Training).Count > 0;
        var held = new[] { IsicSplit.Validation, IsicSplit.Test }.Where(s => dataset.Split(s).Count > 0).Cast<IsicSplit?>().FirstOrDefault();
        if (training && held is not null)
        {
            (_train, _test) = (IsicSplit.Training, held);
        }
    }

    /// <summary>The dataset read.</summary>
    public IsicDataset Dataset { get; }

    public override string Format => Isic2018;

    public override IReadOnlyList<string> ClassNames => Dataset.Classes;

    public override IReadOnlyList<string> Parts => [IsicDataset.LesionRegion];

    public override IReadOnlyList<string> DefaultMetrics => ["iou", "pearson"];

    public override (int Train, int Test) Counts => _train is { } train && _test is { } test
        ? (Dataset.Split(train).Count, Dataset.Split(test).Count)
        : (Dataset.Images.Count - HeldOut().Count, HeldOut().Count);

    public override string SplitDescription => _train is { } train && _test is { } test
        ? $"official: train = {train}, test = {test}"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"seeded split of all {Dataset.Images.Count} images ({1 - Options.TestFraction:P0} train / {Options.TestFraction:P0} test, seed {Options.SplitSeed}): the dataset has one split only");

    internal static bool Looks(string dir) =>
        Directory.EnumerateDirectories(dir, "ISIC2018_*").Any() || Directory.EnumerateFiles(dir, "ISIC_*.jp*g").Any();

    internal static StudyDataset Open(string dir, StudyDataOptions options)
    {
        IsicDataset dataset;
        try
        {
            dataset = IsicDataset.Load(dir, new IsicLoadOptions(Lenient: options.OnBadImage == BadImagePolicy.Skip));
        }
        catch (IsicFormatException e)
        {
            throw new ChorusException(e.Message, e);
        }

        if (dataset.Images.Count == 0)
        {
            var why = dataset.Problems.Count > 0 ? $"{dataset.Problems.Count} problem(s), first: {dataset.Problems[0]}" : "no image/mask pairs";
            throw new ChorusException($"ISIC dataset '{dataset.Root}' has no usable images ({why}).");
        }

        if (dataset.LabelSource is null)
        {
            var first = dataset.Problems.Count > 0 ? $" First problem found: {dataset.Problems[0]}." : "";
            throw new ChorusException($"ISIC dataset '{dataset.Root}' has no labels, and training needs a class per image: put one labels CSV at its root (image,MEL,NV,… one-hot as in ISIC 2018 Task 3, or image,label).{first}");
        }

        if (dataset.Classes.Count < 2)
        {
            throw new ChorusException($"ISIC dataset '{dataset.Root}': {dataset.LabelSource} names {dataset.Classes.Count} class(es); training needs at least 2.");
        }

        return new IsicStudyDataset(dir, options, dataset);
    }

    public override StudySplits LoadSplits(int size, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_train is { } train && _test is { } test)
        {
            var a = Load(train, size, progress, cancellationToken);
            var b = Load(test, size, Offset(progress, Counts.Train), cancellationToken);
            return new StudySplits(a, b, [.. _problems, .. a.Skipped, .. b.Skipped]);
        }

        var all = Load(IsicSplit.All, size, progress, cancellationToken);
        var held = HeldOut().Select(i => i.NumericId).ToHashSet();
        var testIdx = Enumerable.Range(0, all.Count).Where(i => held.Contains(all.ImageIds[i])).ToArray();
        var trainIdx = Enumerable.Range(0, all.Count).Where(i => !held.Contains(all.ImageIds[i])).ToArray();
        return new StudySplits(Take(all, trainIdx), Take(all, testIdx), [.. _problems, .. all.Skipped]);
    }

    public override LoadedSplit LoadTest(int size, CancellationToken cancellationToken = default) =>
        _train is not null && _test is { } test ? Load(test, size, null, cancellationToken) : LoadSplits(size, null, cancellationToken).Test;

    private LoadedSplit Load(IsicSplit split, int size, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var options = LoadOptions();
        return Cached(Isic2018, split.ToString(), size, options, () => Dataset.LoadSplit(split, size, options, progress, cancellationToken));
    }

    /// <summary>The images of the seeded test share: a permutation of all images seeded with <see cref="StudyDataOptions.SplitSeed"/>, its first ⌈fraction·n⌉.</summary>
    private List<IsicImage> HeldOut()
    {
        var images = Dataset.Images;
        var order = Enumerable.Range(0, images.Count).ToArray();
        new Random(unchecked((int)Options.SplitSeed)).Shuffle(order);
        var count = images.Count < 2 ? 0 : Math.Clamp((int)Math.Ceiling(Options.TestFraction * images.Count), 1, images.Count - 1);
        return [.. order.Take(count).Order().Select(i => images[i])];
    }

    private static LoadedSplit Take(LoadedSplit split, int[] keep)
    {
        var (pixels, labels) = split.Gather(keep);
        return split with
        {
            Count = keep.Length,
            Pixels = pixels,
            Labels = labels,
            ImageIds = [.. keep.Select(i => split.ImageIds[i])],
            Regions = split.Regions.ToDictionary(r => r.Key, r => keep.Select(i => r.Value[i]).ToArray()),
            Skipped = [],
        };
    }

    /// <summary>The numeric id in an <c>ISIC_&lt;digits&gt;…</c> file name, else -1.</summary>
    private static int IdOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        if (!name.StartsWith("ISIC_", StringComparison.Ordinal))
        {
            return -1;
        }

        var digits = new string([.. name[5..].TakeWhile(char.IsAsciiDigit)]);
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : -1;
    }
}

/// <summary>
/// A plain folder (<see cref="FolderDataset"/>): classes are the sub-folders; the split is <c>split.csv</c> or seeded
/// (<see cref="StudyDataOptions.SplitSeed"/>, <see cref="StudyDataOptions.TestFraction"/>, stratified by class); the
/// parts are the regions found: <c>mask</c> when <c>masks/</c> exists, then the names of <c>regions.csv</c>.
/// </summary>
public sealed class FolderStudyDataset : StudyDataset
{
    private readonly IReadOnlyList<SkippedImage> _problems;

    private FolderStudyDataset(string root, StudyDataOptions options, FolderDataset dataset)
        : base(root, options)
    {
        Dataset = dataset;
        _problems = [.. dataset.Problems.Select(p => new SkippedImage(-1, Path.Combine(dataset.Root, p.File), p.Line > 0 ? $"line {p.Line}: {p.Message}" : p.Message))];
    }

    /// <summary>The dataset read.</summary>
    public FolderDataset Dataset { get; }

    public override string Format => Folder;

    public override IReadOnlyList<string> ClassNames => Dataset.Classes;

    public override IReadOnlyList<string> Parts => Dataset.RegionNames;

    public override IReadOnlyList<string> DefaultMetrics => ["iou", "pearson"];

    public override (int Train, int Test) Counts => (Dataset.Split(FolderSplit.Train).Count, Dataset.Split(FolderSplit.Test).Count);

    public override string SplitDescription => Dataset.HasSplitFile
        ? FolderDataset.SplitFile
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"seeded split stratified by class ({1 - Options.TestFraction:P0} train / {Options.TestFraction:P0} test, seed {Options.SplitSeed})");

    /// <summary>The cache's format key: <c>folder</c> with how the split was made (it changes which images are in it).</summary>
    private string SplitKey => $"{Folder}[split={(Dataset.HasSplitFile ? "file" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Options.TestFraction:R}/{Options.SplitSeed}"))}]";

    internal static bool Looks(string dir) =>
        Directory.EnumerateDirectories(dir)
            .Where(d => Path.GetFileName(d) is { } n && n != FolderDataset.MasksFolder && !n.StartsWith('.'))
            .Any(d => Directory.EnumerateFiles(d).Any(f => Path.GetExtension(f).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png"));

    internal static StudyDataset Open(string dir, StudyDataOptions options)
    {
        FolderDataset dataset;
        try
        {
            dataset = FolderDataset.Load(dir, new FolderLoadOptions(options.TestFraction, unchecked((int)options.SplitSeed), Lenient: options.OnBadImage == BadImagePolicy.Skip));
        }
        catch (FolderFormatException e)
        {
            throw new ChorusException(e.Message, e);
        }

        if (dataset.Classes.Count < 2)
        {
            throw new ChorusException($"Folder dataset '{dataset.Root}' has {dataset.Classes.Count} class folder(s); training needs at least 2.");
        }

        if (dataset.RegionNames.Count == 0)
        {
            throw new ChorusException($"Folder dataset '{dataset.Root}' has no regions to score: add masks/<class>/<image>.png or {FolderDataset.RegionsFile}.");
        }

        return new FolderStudyDataset(dir, options, dataset);
    }

    public override StudySplits LoadSplits(int size, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var options = LoadOptions([]);
        var train = Cached(SplitKey, "Train", size, options, () => Dataset.LoadSplit(FolderSplit.Train, size, options, progress, cancellationToken));
        var test = LoadTest(size, Offset(progress, Counts.Train), cancellationToken);
        return new StudySplits(train, test, [.. _problems, .. train.Skipped, .. test.Skipped]);
    }

    public override LoadedSplit LoadTest(int size, CancellationToken cancellationToken = default) => LoadTest(size, null, cancellationToken);

    private LoadedSplit LoadTest(int size, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var options = LoadOptions(null);
        return Cached(SplitKey, "Test", size, options, () => Dataset.LoadSplit(FolderSplit.Test, size, options, progress, cancellationToken));
    }
}
