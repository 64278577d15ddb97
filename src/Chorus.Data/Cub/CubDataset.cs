using System.Globalization;

namespace Chorus.Data.Cub;

/// <summary>
/// A dataset in the CUB-200-2011 layout: <c>images.txt</c>, <c>classes.txt</c>, <c>image_class_labels.txt</c>,
/// <c>train_test_split.txt</c> (all required), <c>bounding_boxes.txt</c>, <c>parts/parts.txt</c> +
/// <c>parts/part_locs.txt</c>, <c>segmentations/</c> (optional), and the Chorus extension
/// <c>part_masks/&lt;part slug&gt;/&lt;image path with .png&gt;</c>. Reads real CUB (JPEG) and <see cref="Synthetic.SynthBirds"/> output.
/// </summary>
public sealed partial class CubDataset
{
    private readonly Dictionary<int, CubImage> _byId;

    private CubDataset(string root, IReadOnlyList<CubImage> images, IReadOnlyList<CubClass> classes, IReadOnlyList<CubPart> parts)
    {
        Root = root;
        Images = images;
        Classes = classes;
        Parts = parts;
        _byId = images.ToDictionary(i => i.Id);
        HasSegmentations = Directory.Exists(Path.Combine(root, "segmentations"));
        HasPartMasks = Directory.Exists(Path.Combine(root, "part_masks"));
    }

    /// <summary>The dataset folder (absolute).</summary>
    public string Root { get; }

    /// <summary>All images ordered by id.</summary>
    public IReadOnlyList<CubImage> Images { get; }

    /// <summary>Classes ordered by id; <c>Classes[i].Index == i</c>. With <see cref="CubLoadOptions.Classes"/> only the selected classes, renumbered 0..k-1.</summary>
    public IReadOnlyList<CubClass> Classes { get; }

    /// <summary>Parts of <c>parts/parts.txt</c> ordered by id (empty when absent).</summary>
    public IReadOnlyList<CubPart> Parts { get; }

    /// <summary>Whether a <c>segmentations/</c> folder exists.</summary>
    public bool HasSegmentations { get; }

    /// <summary>Whether a <c>part_masks/</c> folder exists.</summary>
    public bool HasPartMasks { get; }

    /// <summary>The images of a split, ordered by id.</summary>
    public IReadOnlyList<CubImage> Split(CubSplit split) => split switch
    {
        CubSplit.Train => Images.Where(i => i.IsTrain).ToList(),
        CubSplit.Test => Images.Where(i => !i.IsTrain).ToList(),
        _ => Images,
    };

    /// <summary>The image with id <paramref name="id"/>.</summary>
    public CubImage GetImage(int id) =>
        _byId.TryGetValue(id, out var image) ? image : throw new KeyNotFoundException($"No image with id {id} in '{Root}'.");

    /// <summary>The path of the mask of part <paramref name="partId"/> on <paramref name="image"/> if that file exists, else null.</summary>
    public string? PartMaskPath(CubImage image, int partId)
    {
        ArgumentNullException.ThrowIfNull(image);
        var part = Parts.FirstOrDefault(p => p.Id == partId);
        if (part is null || !HasPartMasks)
        {
            return null;
        }

        var path = Path.Combine(Root, "part_masks", part.Slug, Path.ChangeExtension(image.RelativePath, ".png"));
        return File.Exists(path) ? path : null;
    }

    /// <summary>The path of the whole-bird segmentation of <paramref name="image"/> if that file exists, else null.</summary>
    public string? SegmentationPath(CubImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var path = Path.Combine(Root, "segmentations", Path.ChangeExtension(image.RelativePath, ".png"));
        return HasSegmentations && File.Exists(path) ? path : null;
    }

    /// <summary>Reads and validates the dataset at <paramref name="root"/>.</summary>
    /// <exception cref="CubFormatException">Lists every problem found, each with file name and line number.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    public static CubDataset Load(string root, CubLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new CubLoadOptions();
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"CUB dataset folder '{full}' does not exist.");
        }

        var r = new Reader(full);

        // images.txt: <id> <relative path>
        var paths = new Dictionary<int, string>();
        r.Read("images.txt", required: true, fields: 2, (line, f) =>
        {
            if (r.Int(line, f[0], "image id") is not { } id || !r.Unique(paths, id, f[1], line, "image id"))
            {
                return;
            }

            var problem = PathProblem(f[1]);
            if (problem is not null)
            {
                r.Add(line, $"image {id}: path '{f[1]}' {problem}");
                paths.Remove(id);
            }
            else if (options.CheckFiles && !File.Exists(Path.Combine(full, "images", f[1])))
            {
                r.Add(line, $"image {id}: file 'images/{f[1]}' does not exist");
            }
        });

        // classes.txt: <id> <name>
        var classNames = new Dictionary<int, string>();
        r.Read("classes.txt", required: true, fields: 2, (line, f) =>
        {
            if (r.Int(line, f[0], "class id") is { } id)
            {
                r.Unique(classNames, id, f[1], line, "class id");
            }
        });

        // image_class_labels.txt: <image id> <class id>
        var labels = new Dictionary<int, int>();
        r.Read("image_class_labels.txt", required: true, fields: 2, (line, f) =>
        {
            if (r.Int(line, f[0], "image id") is not { } id || r.Int(line, f[1], "class id") is not { } cls)
            {
                return;
            }

            if (!r.Known(paths, id, line))
            {
                return;
            }

            if (!classNames.ContainsKey(cls))
            {
                r.Add(line, $"image {id}: class id {cls} has no name in classes.txt");
            }

            r.Unique(labels, id, cls, line, "image id");
        });

        // train_test_split.txt: <image id> <1 train | 0 test>
        var train = new Dictionary<int, bool>();
        r.Read("train_test_split.txt", required: true, fields: 2, (line, f) =>
        {
            if (r.Int(line, f[0], "image id") is not { } id || r.Int(line, f[1], "train flag") is not { } flag || !r.Known(paths, id, line))
            {
                return;
            }

            if (flag is not (0 or 1))
            {
                r.Add(line, $"image {id}: train flag must be 0 or 1, got {flag}");
                return;
            }

            r.Unique(train, id, flag == 1, line, "image id");
        });

        // bounding_boxes.txt: <image id> <x> <y> <w> <h>
        var boxes = new Dictionary<int, BoundingBox>();
        var haveBoxes = r.Read("bounding_boxes.txt", required: options.RequireBoundingBoxes, fields: 5, (line, f) =>
        {
            if (r.Int(line, f[0], "image id") is not { } id || !r.Known(paths, id, line))
            {
                return;
            }

            if (r.Float(line, f[1], "x") is { } x && r.Float(line, f[2], "y") is { } y &&
                r.Float(line, f[3], "width") is { } w && r.Float(line, f[4], "height") is { } h)
            {
                if (w < 0 || h < 0)
                {
                    r.Add(line, $"image {id}: negative box size {w}×{h}");
                    return;
                }

                r.Unique(boxes, id, new BoundingBox(x, y, w, h), line, "image id");
            }
        });

        // parts/parts.txt: <id> <name with spaces>; parts/part_locs.txt: <image id> <part id> <x> <y> <visible>
        var parts = new Dictionary<int, CubPart>();
        var partsFile = Path.Combine("parts", "parts.txt").Replace('\\', '/');
        r.Read(partsFile, required: false, fields: -2, (line, f) =>
        {
            if (r.Int(line, f[0], "part id") is { } id)
            {
                r.Unique(parts, id, new CubPart(id, f[1], CubParts.Slug(f[1])), line, "part id");
            }
        });
        var locs = new Dictionary<int, Dictionary<int, PartLocation>>();
        var locLines = new Dictionary<(int Image, int Part), int>();
        var locsFile = "parts/part_locs.txt";
        r.Read(locsFile, required: parts.Count > 0, fields: 5, (line, f) =>
        {
            if (r.Int(line, f[0], "image id") is not { } id || r.Int(line, f[1], "part id") is not { } part || !r.Known(paths, id, line))
            {
                return;
            }

            if (!parts.ContainsKey(part))
            {
                r.Add(line, $"image {id}: part id {part} is not in {partsFile}");
                return;
            }

            if (r.Float(line, f[2], "x") is not { } x || r.Float(line, f[3], "y") is not { } y || r.Int(line, f[4], "visible flag") is not { } vis)
            {
                return;
            }

            if (vis is not (0 or 1))
            {
                r.Add(line, $"image {id}: visible flag must be 0 or 1, got {vis}");
                return;
            }

            if (!locs.TryGetValue(id, out var perImage))
            {
                locs[id] = perImage = [];
            }

            if (!perImage.TryAdd(part, new PartLocation(x, y, vis == 1)))
            {
                r.Add(line, $"duplicate entry for image {id}, part {part}");
                return;
            }

            locLines[(id, part)] = line;
        });

        foreach (var id in paths.Keys.Order())
        {
            if (!labels.ContainsKey(id) && r.Has("image_class_labels.txt"))
            {
                r.AddFile("image_class_labels.txt", $"no class for image {id} (images.txt line {r.LineOf("images.txt", id)})");
            }

            if (!train.ContainsKey(id) && r.Has("train_test_split.txt"))
            {
                r.AddFile("train_test_split.txt", $"no train/test flag for image {id} (images.txt line {r.LineOf("images.txt", id)})");
            }
        }

        if (options.Classes is { } selected)
        {
            if (selected.Count == 0)
            {
                throw new ArgumentException("The class selection is empty.", nameof(options));
            }

            var missing = selected.Where(id => !classNames.ContainsKey(id)).Order().ToList();
            if (missing.Count > 0 && r.Has("classes.txt"))
            {
                var range = classNames.Count == 0 ? "it lists no classes" : $"its ids: {ClassSelection.Format(classNames.Keys)}";
                r.AddFile("classes.txt", $"selected class id{(missing.Count > 1 ? "s" : string.Empty)} {ClassSelection.Format(missing)} not in this file ({range})");
            }
        }

        if (r.Problems.Count > 0)
        {
            throw new CubFormatException(full, r.Problems);
        }

        bool Kept(int classId) => options.Classes is null || options.Classes.Contains(classId);
        var classes = classNames.Where(c => Kept(c.Key)).OrderBy(c => c.Key).Select((c, i) => new CubClass(i, c.Key, c.Value)).ToList();
        var indexOf = classes.ToDictionary(c => c.Id, c => c.Index);
        var empty = new Dictionary<int, PartLocation>();
        var images = paths.Where(p => Kept(labels[p.Key])).OrderBy(p => p.Key).Select(p =>
        {
            var cls = labels[p.Key];
            return new CubImage(
                p.Key,
                p.Value,
                Path.GetFullPath(Path.Combine(full, "images", p.Value)),
                indexOf[cls],
                cls,
                classNames[cls],
                train[p.Key],
                haveBoxes && boxes.TryGetValue(p.Key, out var box) ? box : null,
                locs.TryGetValue(p.Key, out var l) ? l : empty);
        }).ToList();
        var dataset = new CubDataset(full, images, classes, parts.Values.OrderBy(p => p.Id).ToList());
        if (options.CheckImages)
        {
            var problems = dataset.CheckImages(id => r.LineOf("images.txt", id), id => r.LineOf("bounding_boxes.txt", id), locLines);
            if (problems.Count > 0)
            {
                throw new CubFormatException(full, problems);
            }
        }

        return dataset;
    }

    /// <summary>Decodes every image in parallel and checks it against boxes, keypoints and masks (see <see cref="CubLoadOptions.CheckImages"/>).</summary>
    private List<CubProblem> CheckImages(Func<int, int> imageLine, Func<int, int> boxLine, Dictionary<(int Image, int Part), int> locLines)
    {
        const float Tolerance = 1f;
        var found = new List<CubProblem>[Images.Count];
        Parallel.For(0, Images.Count, i =>
        {
            var image = Images[i];
            var list = found[i] = [];
            int w, h;
            try
            {
                var rgb = Imaging.ImageIO.LoadRgb(image.FullPath);
                (w, h) = (rgb.Width, rgb.Height);
            }
            catch (Imaging.ImageDataException e)
            {
                list.Add(new CubProblem("images.txt", imageLine(image.Id), $"image {image.Id}: images/{image.RelativePath}: {e.Problem}"));
                return;
            }

            if (image.Box is { } b && (b.X < -Tolerance || b.Y < -Tolerance || b.X + b.Width > w + Tolerance || b.Y + b.Height > h + Tolerance))
            {
                list.Add(new CubProblem("bounding_boxes.txt", boxLine(image.Id), string.Create(CultureInfo.InvariantCulture, $"image {image.Id}: box ({b.X}, {b.Y}, {b.Width}, {b.Height}) is outside the {w}×{h} image")));
            }

            foreach (var (part, loc) in image.Parts.OrderBy(p => p.Key))
            {
                if (loc.Visible && (loc.X < -Tolerance || loc.Y < -Tolerance || loc.X > w + Tolerance || loc.Y > h + Tolerance))
                {
                    list.Add(new CubProblem("parts/part_locs.txt", locLines.GetValueOrDefault((image.Id, part)), string.Create(CultureInfo.InvariantCulture, $"image {image.Id}: part {part} keypoint ({loc.X}, {loc.Y}) is outside the {w}×{h} image")));
                }
            }

            var masks = new[] { SegmentationPath(image) }.Concat(Parts.Select(p => PartMaskPath(image, p.Id))).OfType<string>();
            foreach (var mask in masks)
            {
                var rel = Path.GetRelativePath(Root, mask).Replace('\\', '/');
                try
                {
                    var (mw, mh) = Imaging.ImageIO.ReadSize(mask);
                    if ((mw, mh) != (w, h))
                    {
                        list.Add(new CubProblem(rel, 0, $"mask is {mw}×{mh} but image {image.Id} (images/{image.RelativePath}) is {w}×{h}"));
                    }
                }
                catch (Imaging.ImageDataException e)
                {
                    list.Add(new CubProblem(rel, 0, e.Problem));
                }
            }
        });
        return [.. found.SelectMany(l => l)];
    }

    /// <summary>Why a relative image path is unsafe, or null: rooted paths and <c>..</c> segments would escape the root.</summary>
    private static string? PathProblem(string path)
    {
        if (Path.IsPathRooted(path) || path.StartsWith('/') || path.StartsWith('\\'))
        {
            return "is absolute; paths must be relative to images/";
        }

        return path.Split('/', '\\').Any(s => s == "..") ? "escapes the dataset root ('..' segment)" : null;
    }

    /// <summary>Reads whitespace-separated text files, collecting problems with file and line.</summary>
    private sealed class Reader(string root)
    {
        private readonly Dictionary<string, Dictionary<int, int>> _lines = [];
        private readonly HashSet<string> _present = [];
        private string _file = string.Empty;

        public List<CubProblem> Problems { get; } = [];

        public bool Has(string file) => _present.Contains(file);

        /// <summary>
        /// Calls <paramref name="row"/> for each non-blank line. <paramref name="fields"/> &gt; 0: exactly that many
        /// fields; -2: an id and the rest of the line. Returns whether the file exists.
        /// </summary>
        public bool Read(string file, bool required, int fields, Action<int, string[]> row)
        {
            _file = file;
            var path = Path.Combine(root, file);
            if (!File.Exists(path))
            {
                if (required)
                {
                    AddFile(file, "file is missing");
                }

                return false;
            }

            _present.Add(file);
            var number = 0;
            foreach (var text in File.ReadLines(path))
            {
                number++;
                var trimmed = text.Trim();
                if (trimmed.Length == 0)
                {
                    continue;
                }

                string[] f;
                if (fields == -2)
                {
                    var space = trimmed.IndexOfAny([' ', '\t']);
                    f = space < 0 ? [trimmed] : [trimmed[..space], trimmed[(space + 1)..].Trim()];
                    if (f.Length != 2)
                    {
                        Add(number, $"malformed line '{Short(trimmed)}': expected '<id> <name>'");
                        continue;
                    }
                }
                else
                {
                    f = trimmed.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length != fields)
                    {
                        Add(number, $"malformed line '{Short(trimmed)}': expected {fields} fields, got {f.Length}");
                        continue;
                    }
                }

                row(number, f);
            }

            return true;
        }

        public void Add(int line, string message) => Problems.Add(new CubProblem(_file, line, message));

        public void AddFile(string file, string message) => Problems.Add(new CubProblem(file, 0, message));

        public int? Int(int line, string text, string what)
        {
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            {
                return v;
            }

            Add(line, $"malformed {what} '{Short(text)}': not an integer");
            return null;
        }

        public float? Float(int line, string text, string what)
        {
            if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v))
            {
                return v;
            }

            Add(line, $"malformed {what} '{Short(text)}': not a number");
            return null;
        }

        /// <summary>Adds <paramref name="key"/> unless it was seen before in this file (then reports the duplicate).</summary>
        public bool Unique<T>(Dictionary<int, T> seen, int key, T value, int line, string what)
        {
            if (!_lines.TryGetValue(_file, out var lines))
            {
                _lines[_file] = lines = [];
            }

            if (lines.TryGetValue(key, out var first))
            {
                Add(line, $"duplicate {what} {key} (first on line {first})");
                return false;
            }

            lines[key] = line;
            seen[key] = value;
            return true;
        }

        /// <summary>Whether an image id referenced here is listed in images.txt (reports it otherwise).</summary>
        public bool Known<T>(Dictionary<int, T> images, int id, int line)
        {
            if (images.ContainsKey(id) || Problems.Any(p => p.File == "images.txt" && p.Message.StartsWith($"image {id}:", StringComparison.Ordinal)))
            {
                return images.ContainsKey(id);
            }

            Add(line, $"image id {id} is not in images.txt");
            return false;
        }

        public int LineOf(string file, int key) => _lines.TryGetValue(file, out var l) && l.TryGetValue(key, out var n) ? n : 0;

        private static string Short(string s) => s.Length <= 60 ? s : s[..57] + "...";
    }
}
