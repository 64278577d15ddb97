using System.Globalization;
using System.Text.RegularExpressions;
using Chorus.Data.Imaging;

namespace Chorus.Data.Isic;

/// <summary>
/// ISIC 2018 Task 1 (lesion segmentation): <c>ISIC_&lt;id&gt;.jpg</c> paired with <c>ISIC_&lt;id&gt;_segmentation.png</c>
/// (0/255, same size), under the official folders <c>ISIC2018_Task1-2_{Training,Validation,Test}_Input/</c> +
/// <c>ISIC2018_Task1_{…}_GroundTruth/</c> (which define the split), or side by side in the root folder.
/// Optional labels: a CSV in the Task 3 one-hot form (<c>image,MEL,NV,BCC,AKIEC,BKL,DF,VASC</c>) or <c>image,label</c>.
/// </summary>
public sealed partial class IsicDataset
{
    /// <summary>Name of the region built by <see cref="LoadSplit"/>.</summary>
    public const string LesionRegion = "lesion";

    private static readonly IsicSplit[] OfficialSplits = [IsicSplit.Training, IsicSplit.Validation, IsicSplit.Test];

    private IsicDataset(string root, IReadOnlyList<IsicImage> images, IReadOnlyList<string> classes, string? labelSource, IReadOnlyList<IsicProblem> problems, bool official, int masksFound)
    {
        MasksFound = masksFound;
        Root = root;
        Images = images;
        Classes = classes;
        LabelSource = labelSource;
        Problems = problems;
        IsOfficialLayout = official;
    }

    /// <summary>The dataset folder (absolute).</summary>
    public string Root { get; }

    /// <summary>The valid image/mask pairs, ordered by split then id.</summary>
    public IReadOnlyList<IsicImage> Images { get; }

    /// <summary>Class names (CSV header order for one-hot, sorted for <c>image,label</c>); empty without labels.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The labels CSV relative to the root (or absolute when outside), or null without labels.</summary>
    public string? LabelSource { get; }

    /// <summary>Problems found (always empty unless loaded with <see cref="IsicLoadOptions.Lenient"/>).</summary>
    public IReadOnlyList<IsicProblem> Problems { get; }

    /// <summary>Number of <c>ISIC_&lt;id&gt;_segmentation.png</c> files found (with or without an image).</summary>
    public int MasksFound { get; }

    /// <summary>Whether the official ISIC 2018 folders were found (else images and masks sit side by side in the root).</summary>
    public bool IsOfficialLayout { get; }

    /// <summary>The official input folder of a split, e.g. <c>ISIC2018_Task1-2_Training_Input</c>.</summary>
    public static string InputFolder(IsicSplit split) => $"ISIC2018_Task1-2_{split}_Input";

    /// <summary>The official ground-truth folder of a split, e.g. <c>ISIC2018_Task1_Training_GroundTruth</c>.</summary>
    public static string GroundTruthFolder(IsicSplit split) => $"ISIC2018_Task1_{split}_GroundTruth";

    /// <summary>The images of a split.</summary>
    public IReadOnlyList<IsicImage> Split(IsicSplit split) =>
        split == IsicSplit.All ? Images : Images.Where(i => i.Split == split).ToList();

    /// <summary>Reads and validates the dataset at <paramref name="root"/> (image headers only; pixels are read by <see cref="LoadSplit"/>).</summary>
    /// <exception cref="IsicFormatException">Lists every problem found, each with file (and line for the CSV), unless lenient.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    public static IsicDataset Load(string root, IsicLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new IsicLoadOptions();
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"ISIC dataset folder '{full}' does not exist.");
        }

        var problems = new List<IsicProblem>();
        var official = OfficialSplits.Any(s => Directory.Exists(Path.Combine(full, InputFolder(s))) || Directory.Exists(Path.Combine(full, GroundTruthFolder(s))));
        var folders = official
            ? OfficialSplits.Select(s => (Split: s, Input: Path.Combine(full, InputFolder(s)), Truth: Path.Combine(full, GroundTruthFolder(s))))
                .Where(f => Directory.Exists(f.Input) || Directory.Exists(f.Truth)).ToList()
            : [(IsicSplit.Training, full, full)];

        var pairs = new List<(string Id, string Image, string Mask, IsicSplit Split)>();
        var firstSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        var anyImage = new HashSet<string>(StringComparer.Ordinal);
        var masksFound = 0;
        foreach (var (split, input, truth) in folders)
        {
            var images = Scan(full, input, ImageName(), problems);
            var masks = Scan(full, truth, MaskName(), problems);
            masksFound += masks.Count;
            foreach (var (id, image) in images)
            {
                anyImage.Add(id);
                if (!masks.TryGetValue(id, out var mask))
                {
                    problems.Add(new(Rel(full, image), 0, $"image without mask (expected {Rel(full, Path.Combine(truth, $"ISIC_{id}_segmentation.png"))})"));
                    continue;
                }

                if (!firstSeen.TryAdd(id, image))
                {
                    problems.Add(new(Rel(full, image), 0, $"duplicate id ISIC_{id} (also {Rel(full, firstSeen[id])})"));
                    continue;
                }

                pairs.Add((id, image, mask, split));
            }

            foreach (var (id, mask) in masks.Where(m => !images.ContainsKey(m.Key)))
            {
                problems.Add(new(Rel(full, mask), 0, $"mask without image (expected {Rel(full, Path.Combine(input, $"ISIC_{id}.jpg"))})"));
            }
        }

        // Labels.
        var (labelFile, labels, classes) = ReadLabels(full, options.LabelsCsv, problems);
        var known = new HashSet<string>(pairs.Select(p => p.Id), StringComparer.Ordinal);
        foreach (var (id, line) in labels.Where(l => !known.Contains(l.Key)).Select(l => (l.Key, l.Value.Line)).OrderBy(l => l.Line))
        {
            if (!anyImage.Contains(id))
            {
                problems.Add(new(labelFile!, line, $"label for ISIC_{id}, which has no image"));
            }
        }

        // Headers: the mask must have the image's size.
        var result = new List<IsicImage>();
        foreach (var (id, image, mask, split) in pairs.OrderBy(p => p.Split).ThenBy(p => p.Id, StringComparer.Ordinal))
        {
            (int Width, int Height) imageSize, maskSize;
            try
            {
                imageSize = ImageIO.ReadSize(image);
            }
            catch (ImageDataException e)
            {
                problems.Add(new(Rel(full, image), 0, e.Problem));
                continue;
            }

            try
            {
                maskSize = ImageIO.ReadSize(mask);
            }
            catch (ImageDataException e)
            {
                problems.Add(new(Rel(full, mask), 0, e.Problem));
                continue;
            }

            var bad = imageSize != maskSize;
            if (bad)
            {
                problems.Add(new(Rel(full, mask), 0, $"mask is {maskSize.Width}×{maskSize.Height} but its image is {imageSize.Width}×{imageSize.Height}"));
            }

            var classIndex = -1;
            if (labelFile is not null)
            {
                if (!labels.TryGetValue(id, out var label))
                {
                    problems.Add(new(Rel(full, image), 0, $"image has no label in {labelFile}"));
                    continue;
                }

                if (label.ClassIndex < 0)
                {
                    continue; // the row's problem is already listed
                }

                classIndex = label.ClassIndex;
            }

            if (bad)
            {
                continue;
            }

            var numeric = id.All(char.IsAsciiDigit) && int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : result.Count + 1;
            result.Add(new IsicImage(id, numeric, image, mask, split, imageSize.Width, imageSize.Height, classIndex));
        }

        if (anyImage.Count == 0 && masksFound == 0)
        {
            problems.Add(new(".", 0, $"no ISIC_<id>.jpg images or masks found (expected {InputFolder(IsicSplit.Training)}/ + {GroundTruthFolder(IsicSplit.Training)}/, or the files side by side)"));
        }

        if (options.CheckPixels)
        {
            var errors = new ImageDataException?[result.Count];
            Parallel.For(0, result.Count, i =>
            {
                try
                {
                    ImageIO.LoadRgb(result[i].ImagePath);
                    LoadBinaryMask(result[i].MaskPath);
                }
                catch (ImageDataException e)
                {
                    errors[i] = e;
                }
            });
            problems.AddRange(errors.OfType<ImageDataException>().Select(e => new IsicProblem(Rel(full, e.Path), 0, e.Problem)));
            result = result.Where((_, i) => errors[i] is null).ToList();
        }

        if (problems.Count > 0 && !options.Lenient)
        {
            throw new IsicFormatException(full, problems);
        }

        return new IsicDataset(full, result, classes, labelFile, problems, official, masksFound);
    }

    [GeneratedRegex(@"^ISIC_([A-Za-z0-9]+)\.jpe?g$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ImageName();

    [GeneratedRegex(@"^ISIC_([A-Za-z0-9]+)_segmentation\.png$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MaskName();

    /// <summary>Id → path of the files of <paramref name="folder"/> whose name matches <paramref name="pattern"/> (ordinal order).</summary>
    private static SortedDictionary<string, string> Scan(string root, string folder, Regex pattern, List<IsicProblem> problems)
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return found;
        }

        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var m = pattern.Match(Path.GetFileName(file));
            if (m.Success && EscapesRoot(root, file) is { } target)
            {
                problems.Add(new(Rel(root, file), 0, $"path escaping the root: links to '{target}'"));
            }
            else if (m.Success)
            {
                if (!found.TryAdd(m.Groups[1].Value, file))
                {
                    problems.Add(new(Rel(root, file), 0, $"duplicate id ISIC_{m.Groups[1].Value} (also {Rel(root, found[m.Groups[1].Value])})"));
                }
            }
        }

        return found;
    }

    /// <summary>The final target of a symbolic link that leads outside <paramref name="root"/>, else null.</summary>
    private static string? EscapesRoot(string root, string file)
    {
        var target = new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        if (target is null)
        {
            return null;
        }

        var rel = Path.GetRelativePath(root, target);
        return rel == ".." || rel.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(rel) ? target : null;
    }

    private static string Rel(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
