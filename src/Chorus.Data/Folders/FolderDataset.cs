using System.Globalization;
using Chorus.Data.Imaging;
using Chorus.Data.Synthetic;

namespace Chorus.Data.Folders;

/// <summary>
/// A plain folder of labelled images: <c>root/&lt;class&gt;/*.jpg|jpeg|png</c> (class names = the sub-folder names in
/// ordinal order, excluding <c>masks</c> and hidden folders), with optional
/// <list type="bullet">
/// <item><c>masks/&lt;class&gt;/&lt;image stem&gt;.png</c>: a binary mask (only 0/255, or only 0/1) of the image's size, region <see cref="MaskRegion"/>;</item>
/// <item><c>regions.csv</c>: rows <c>image,region,kind,x,y[,w,h]</c> with <c>image</c> relative to the root, <c>kind</c>
/// <c>point</c> (keypoint <c>x,y</c>) or <c>box</c> (<c>x,y,w,h</c>), in pixels of the original image (see <see cref="FolderRegion"/>);</item>
/// <item><c>split.csv</c>: rows <c>image,train|test</c> for every image; without it a seeded split stratified by class
/// (<see cref="FolderLoadOptions.TestFraction"/>, <see cref="FolderLoadOptions.Seed"/>).</item>
/// </list>
/// Both CSV files may start with a header row whose first field is <c>image</c>; fields are separated by commas and
/// are not quoted (paths must not contain commas).
/// </summary>
public sealed partial class FolderDataset
{
    /// <summary>Name of the region built from <c>masks/</c>.</summary>
    public const string MaskRegion = "mask";

    /// <summary>The folder of masks under the root (never a class).</summary>
    public const string MasksFolder = "masks";

    /// <summary>The optional regions file at the root.</summary>
    public const string RegionsFile = "regions.csv";

    /// <summary>The optional split file at the root.</summary>
    public const string SplitFile = "split.csv";

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png"];

    private FolderDataset(string root, IReadOnlyList<FolderImage> images, IReadOnlyList<string> classes, IReadOnlyList<string> regionNames, bool hasSplitFile, IReadOnlyList<FolderProblem> problems)
    {
        Root = root;
        Images = images;
        Classes = classes;
        RegionNames = regionNames;
        HasSplitFile = hasSplitFile;
        Problems = problems;
    }

    /// <summary>The dataset folder (absolute).</summary>
    public string Root { get; }

    /// <summary>The valid images ordered by id (class, then path).</summary>
    public IReadOnlyList<FolderImage> Images { get; }

    /// <summary>Class folder names in ordinal order; <c>Classes[i]</c> is label i.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The regions <see cref="LoadSplit"/> can build: <see cref="MaskRegion"/> when any mask exists, then the
    /// names of <c>regions.csv</c> in ordinal order.</summary>
    public IReadOnlyList<string> RegionNames { get; }

    /// <summary>Whether the split came from <c>split.csv</c> (else from the seeded split).</summary>
    public bool HasSplitFile { get; }

    /// <summary>Problems found (always empty unless loaded with <see cref="FolderLoadOptions.Lenient"/>).</summary>
    public IReadOnlyList<FolderProblem> Problems { get; }

    /// <summary>The images of a split, ordered by id.</summary>
    public IReadOnlyList<FolderImage> Split(FolderSplit split) => split switch
    {
        FolderSplit.Train => Images.Where(i => i.IsTrain).ToList(),
        FolderSplit.Test => Images.Where(i => !i.IsTrain).ToList(),
        _ => Images,
    };

    /// <summary>
    /// Reads and validates the folder at <paramref name="root"/>: lists the class folders and images, reads every image
    /// and mask header (sizes), <c>regions.csv</c> and <c>split.csv</c>. Pixels are decoded only with
    /// <see cref="FolderLoadOptions.CheckPixels"/> (else by <see cref="LoadSplit"/>).
    /// </summary>
    /// <exception cref="FolderFormatException">Lists every problem found (file, and line for the CSV files), unless lenient.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    public static FolderDataset Load(string root, FolderLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new FolderLoadOptions();
        options.Validate();
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Folder dataset '{full}' does not exist.");
        }

        var problems = new List<FolderProblem>();
        var bad = new HashSet<string>(StringComparer.Ordinal); // relative paths of images left out

        // Class folders and their images.
        var classes = Directory.EnumerateDirectories(full).Select(Path.GetFileName).OfType<string>()
            .Where(n => n != MasksFolder && !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
        {
            problems.Add(new(".", 0, "no class folders found (expected <class>/<image>.jpg|jpeg|png under the root)"));
        }

        var candidates = new List<Candidate>();
        for (var c = 0; c < classes.Count; c++)
        {
            var dir = Path.Combine(full, classes[c]);
            if (EscapesRoot(full, dir) is { } dirTarget)
            {
                problems.Add(new(classes[c] + "/", 0, $"path escaping the root: links to '{dirTarget}'"));
                continue;
            }

            var stems = new Dictionary<string, string>(StringComparer.Ordinal);
            var files = Directory.EnumerateFiles(dir).Where(IsImageFile).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                problems.Add(new(classes[c] + "/", 0, "class folder has no .jpg, .jpeg or .png images"));
            }

            foreach (var file in files)
            {
                var rel = Rel(full, file);
                if (EscapesRoot(full, file) is { } target)
                {
                    problems.Add(new(rel, 0, $"path escaping the root: links to '{target}'"));
                    continue;
                }

                var stem = Path.GetFileNameWithoutExtension(file);
                if (!stems.TryAdd(stem, rel))
                {
                    problems.Add(new(rel, 0, $"duplicate image stem '{stem}' (also {stems[stem]}): its mask masks/{classes[c]}/{stem}.png would be ambiguous"));
                    continue;
                }

                candidates.Add(new Candidate(candidates.Count + 1, rel, file, c, stem));
            }
        }

        // Image headers.
        var byPath = candidates.ToDictionary(i => i.RelativePath, StringComparer.Ordinal);
        var headerErrors = new string?[candidates.Count];
        Parallel.For(0, candidates.Count, i =>
        {
            try
            {
                (candidates[i].Width, candidates[i].Height) = ImageIO.ReadSize(candidates[i].FullPath);
            }
            catch (ImageDataException e)
            {
                headerErrors[i] = e.Problem;
            }
        });
        for (var i = 0; i < candidates.Count; i++)
        {
            if (headerErrors[i] is { } error)
            {
                problems.Add(new(candidates[i].RelativePath, 0, error));
                bad.Add(candidates[i].RelativePath);
            }
        }

        ReadMasks(full, classes, candidates, problems, bad);
        ReadRegions(full, byPath, problems, bad);
        var hasSplitFile = ReadSplit(full, candidates, byPath, problems, bad);
        if (!hasSplitFile)
        {
            SeededSplit(candidates, classes.Count, options);
        }

        if (options.CheckPixels)
        {
            CheckPixels(candidates.Where(c => !bad.Contains(c.RelativePath)).ToList(), full, problems, bad);
        }

        if (problems.Count > 0 && !options.Lenient)
        {
            throw new FolderFormatException(full, problems);
        }

        var images = candidates.Where(c => !bad.Contains(c.RelativePath)).Select(c => new FolderImage(
            c.Id, c.RelativePath, c.FullPath, c.ClassIndex, classes[c.ClassIndex], c.IsTrain, c.Width, c.Height, c.MaskPath, c.Regions)).ToList();
        var regionNames = images.SelectMany(i => i.Regions).Select(r => r.Name).Distinct().Order(StringComparer.Ordinal);
        IReadOnlyList<string> names = images.Any(i => i.MaskPath is not null) ? [MaskRegion, .. regionNames] : [.. regionNames];
        return new FolderDataset(full, images, classes, names, hasSplitFile, problems);
    }

    /// <summary>
    /// Decodes a mask that must hold only 0 and 255, or only 0 and 1 (any channel count: the maximum of R, G and B).
    /// Returns it with 255 inside and 0 outside.
    /// </summary>
    /// <exception cref="ImageDataException">Unreadable, or not binary.</exception>
    public static GrayImage LoadBinaryMask(string path)
    {
        var mask = ImageIO.LoadGray(path);
        var p = mask.Pixels;
        int ones = -1, full = -1;
        for (var i = 0; i < p.Length; i++)
        {
            switch (p[i])
            {
                case 0:
                    break;
                case 1:
                    ones = ones < 0 ? i : ones;
                    break;
                case 255:
                    full = full < 0 ? i : full;
                    break;
                default:
                    throw new ImageDataException(path, $"mask is not binary: value {p[i]} at ({i % mask.Width}, {i / mask.Width}); expected only 0/255 or only 0/1");
            }
        }

        if (ones >= 0 && full >= 0)
        {
            var at = Math.Max(ones, full);
            throw new ImageDataException(path, $"mask is not binary: it mixes 1 and 255 (e.g. at ({at % mask.Width}, {at / mask.Width})); expected only 0/255 or only 0/1");
        }

        for (var i = 0; i < p.Length; i++)
        {
            p[i] = p[i] != 0 ? (byte)255 : (byte)0;
        }

        return mask;
    }

    private static void ReadMasks(string full, List<string> classes, List<Candidate> candidates, List<FolderProblem> problems, HashSet<string> bad)
    {
        var masksDir = Path.Combine(full, MasksFolder);
        if (!Directory.Exists(masksDir))
        {
            return;
        }

        var byStem = candidates.ToDictionary(c => (c.ClassIndex, c.Stem));
        foreach (var file in Directory.EnumerateFiles(masksDir).Order(StringComparer.Ordinal))
        {
            problems.Add(new(Rel(full, file), 0, $"mask outside a class folder (expected {MasksFolder}/<class>/<image stem>.png)"));
        }

        foreach (var dir in Directory.EnumerateDirectories(masksDir).Order(StringComparer.Ordinal))
        {
            var cls = Path.GetFileName(dir);
            var c = classes.IndexOf(cls);
            if (c < 0)
            {
                problems.Add(new(Rel(full, dir) + "/", 0, $"mask folder of unknown class '{cls}' (classes: {string.Join(", ", classes)})"));
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            {
                var rel = Rel(full, file);
                if (!string.Equals(Path.GetExtension(file), ".png", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(new(rel, 0, "mask is not a .png file"));
                    continue;
                }

                if (!byStem.TryGetValue((c, Path.GetFileNameWithoutExtension(file)), out var image))
                {
                    problems.Add(new(rel, 0, $"mask without image (expected {cls}/{Path.GetFileNameWithoutExtension(file)}.jpg|jpeg|png)"));
                    continue;
                }

                if (EscapesRoot(full, file) is { } target)
                {
                    problems.Add(new(rel, 0, $"path escaping the root: links to '{target}'"));
                    bad.Add(image.RelativePath);
                    continue;
                }

                image.MaskPath = file;
                if (bad.Contains(image.RelativePath))
                {
                    continue;
                }

                try
                {
                    var (w, h) = ImageIO.ReadSize(file);
                    if ((w, h) != (image.Width, image.Height))
                    {
                        problems.Add(new(rel, 0, $"mask is {w}×{h} but its image {image.RelativePath} is {image.Width}×{image.Height}"));
                        bad.Add(image.RelativePath);
                    }
                }
                catch (ImageDataException e)
                {
                    problems.Add(new(rel, 0, e.Problem));
                    bad.Add(image.RelativePath);
                }
            }
        }
    }

    private static void ReadRegions(string full, Dictionary<string, Candidate> byPath, List<FolderProblem> problems, HashSet<string> bad)
    {
        foreach (var (line, f) in ReadCsv(full, RegionsFile))
        {
            void Add(string message) => problems.Add(new(RegionsFile, line, message));
            if (f.Length is not (5 or 7))
            {
                Add($"expected image,region,kind,x,y[,w,h], got {f.Length} fields");
                continue;
            }

            if (Image(f[0], byPath, Add) is not { } image)
            {
                continue;
            }

            var name = f[1];
            if (name.Length == 0)
            {
                Add("empty region name");
                continue;
            }

            if (name == MaskRegion)
            {
                Add($"region name '{MaskRegion}' is reserved for the masks of {MasksFolder}/");
                continue;
            }

            var kind = f[2].ToLowerInvariant() switch
            {
                "point" => FolderRegionKind.Point,
                "box" => FolderRegionKind.Box,
                _ => (FolderRegionKind?)null,
            };
            if (kind is null)
            {
                Add($"unknown kind '{f[2]}': use point or box");
                continue;
            }

            if (kind == FolderRegionKind.Point && f.Length != 5)
            {
                Add("a point has only x,y (got w,h too)");
                continue;
            }

            if (kind == FolderRegionKind.Box && f.Length != 7)
            {
                Add("a box needs x,y,w,h");
                continue;
            }

            var numbers = new float[f.Length - 3];
            var ok = true;
            for (var k = 0; k < numbers.Length && ok; k++)
            {
                ok = float.TryParse(f[k + 3], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[k]) && float.IsFinite(numbers[k]);
                if (!ok)
                {
                    Add($"malformed {"xywh"[k]} '{f[k + 3]}': not a number");
                }
            }

            if (!ok || image.Width == 0)
            {
                continue; // a malformed number, or an image whose header could not be read (already a problem)
            }

            var (x, y) = (numbers[0], numbers[1]);
            var size = $"{image.Width}×{image.Height}";
            if (kind == FolderRegionKind.Point)
            {
                if (x < 0 || y < 0 || x > image.Width || y > image.Height)
                {
                    Add($"keypoint ({F(x)}, {F(y)}) of '{name}' is outside the {size} image {image.RelativePath}");
                    continue;
                }

                image.Regions.Add(new FolderRegion(name, FolderRegionKind.Point, x, y, 0, 0, line));
            }
            else
            {
                var (w, h) = (numbers[2], numbers[3]);
                if (!(w > 0 && h > 0))
                {
                    Add($"box of '{name}' has size {F(w)}×{F(h)}; width and height must be positive");
                    continue;
                }

                if (x < 0 || y < 0 || x + w > image.Width || y + h > image.Height)
                {
                    Add($"box ({F(x)}, {F(y)}, {F(w)}, {F(h)}) of '{name}' is outside the {size} image {image.RelativePath}");
                    continue;
                }

                image.Regions.Add(new FolderRegion(name, FolderRegionKind.Box, x, y, w, h, line));
            }
        }
    }

    private static bool ReadSplit(string full, List<Candidate> candidates, Dictionary<string, Candidate> byPath, List<FolderProblem> problems, HashSet<string> bad)
    {
        if (!File.Exists(Path.Combine(full, SplitFile)))
        {
            return false;
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, f) in ReadCsv(full, SplitFile))
        {
            void Add(string message) => problems.Add(new(SplitFile, line, message));
            if (f.Length != 2)
            {
                Add($"expected image,train|test, got {f.Length} fields");
                continue;
            }

            if (Image(f[0], byPath, Add) is not { } image)
            {
                continue;
            }

            if (!seen.TryAdd(image.RelativePath, line))
            {
                Add($"duplicate row for {image.RelativePath} (first on line {seen[image.RelativePath]})");
                continue;
            }

            switch (f[1].ToLowerInvariant())
            {
                case "train":
                    image.IsTrain = true;
                    break;
                case "test":
                    image.IsTrain = false;
                    break;
                default:
                    Add($"split of {image.RelativePath} must be train or test, got '{f[1]}'");
                    bad.Add(image.RelativePath);
                    break;
            }
        }

        foreach (var c in candidates.Where(c => !seen.ContainsKey(c.RelativePath) && !bad.Contains(c.RelativePath)))
        {
            problems.Add(new(SplitFile, 0, $"no row for image {c.RelativePath}"));
            bad.Add(c.RelativePath);
        }

        return true;
    }

    /// <summary>Per class: a seeded Fisher–Yates shuffle of its images, the first round(n × fraction) go to test.</summary>
    private static void SeededSplit(List<Candidate> candidates, int classCount, FolderLoadOptions options)
    {
        for (var c = 0; c < classCount; c++)
        {
            var members = candidates.Where(i => i.ClassIndex == c).ToArray();
            var rng = Xoshiro256.ForItem(options.Seed, c, stream: 0x5F17);
            for (var i = members.Length - 1; i > 0; i--)
            {
                var j = rng.NextInt(i + 1);
                (members[i], members[j]) = (members[j], members[i]);
            }

            var test = (int)Math.Round(members.Length * options.TestFraction, MidpointRounding.AwayFromZero);
            for (var i = 0; i < members.Length; i++)
            {
                members[i].IsTrain = i >= test;
            }
        }
    }

    private static void CheckPixels(List<Candidate> images, string full, List<FolderProblem> problems, HashSet<string> bad)
    {
        var errors = new ImageDataException?[images.Count];
        Parallel.For(0, images.Count, i =>
        {
            try
            {
                ImageIO.LoadRgb(images[i].FullPath);
                if (images[i].MaskPath is { } mask)
                {
                    LoadBinaryMask(mask);
                }
            }
            catch (ImageDataException e)
            {
                errors[i] = e;
            }
        });
        for (var i = 0; i < images.Count; i++)
        {
            if (errors[i] is { } e)
            {
                problems.Add(new(Rel(full, e.Path), 0, e.Problem));
                bad.Add(images[i].RelativePath);
            }
        }
    }

    /// <summary>The image named by a CSV <paramref name="path"/> (relative to the root), or null after reporting why not.</summary>
    private static Candidate? Image(string path, Dictionary<string, Candidate> byPath, Action<string> add)
    {
        var normal = path.Replace('\\', '/');
        if (Path.IsPathRooted(path) || normal.StartsWith('/'))
        {
            add($"image path '{path}' is absolute; paths must be relative to the dataset root");
            return null;
        }

        if (normal.Split('/').Any(s => s == ".."))
        {
            add($"image path '{path}' escapes the dataset root ('..' segment)");
            return null;
        }

        if (normal.StartsWith("./", StringComparison.Ordinal))
        {
            normal = normal[2..];
        }

        if (!byPath.TryGetValue(normal, out var image))
        {
            add($"image '{path}' is not in the dataset (expected <class>/<file> relative to the root)");
            return null;
        }

        return image;
    }

    /// <summary>The non-blank rows of a CSV at the root (fields trimmed), skipping a header whose first field is <c>image</c>.</summary>
    private static IEnumerable<(int Line, string[] Fields)> ReadCsv(string full, string file)
    {
        var path = Path.Combine(full, file);
        if (!File.Exists(path))
        {
            yield break;
        }

        var number = 0;
        var first = true;
        foreach (var text in File.ReadLines(path))
        {
            number++;
            if (text.Trim().Length == 0)
            {
                continue;
            }

            var f = text.Split(',').Select(s => s.Trim()).ToArray();
            if (first && string.Equals(f[0], "image", StringComparison.OrdinalIgnoreCase))
            {
                first = false;
                continue;
            }

            first = false;
            yield return (number, f);
        }
    }

    private static bool IsImageFile(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>The final target of a symbolic link that leads outside <paramref name="root"/>, else null.</summary>
    private static string? EscapesRoot(string root, string path)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        if (target is null)
        {
            return null;
        }

        var rel = Path.GetRelativePath(root, target);
        return rel == ".." || rel.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(rel) ? target : null;
    }

    private static string Rel(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static string F(float v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>An image file being read, before it becomes a <see cref="FolderImage"/>.</summary>
    private sealed class Candidate(int id, string relativePath, string fullPath, int classIndex, string stem)
    {
        public int Id { get; } = id;

        public string RelativePath { get; } = relativePath;

        public string FullPath { get; } = fullPath;

        public int ClassIndex { get; } = classIndex;

        public string Stem { get; } = stem;

        public int Width { get; set; }

        public int Height { get; set; }

        public bool IsTrain { get; set; }

        public string? MaskPath { get; set; }

        public List<FolderRegion> Regions { get; } = [];
    }
}
