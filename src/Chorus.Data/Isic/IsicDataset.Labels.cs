using System.Globalization;

namespace Chorus.Data.Isic;

public sealed partial class IsicDataset
{
    /// <summary>
    /// Reads the labels CSV (given, or the only <c>*.csv</c> at the root). Returns the file as reported (relative to the
    /// root when inside it), id → (line, class index; -1 for a row with a problem), and the class names.
    /// </summary>
    private static (string? File, Dictionary<string, (int Line, int ClassIndex)> Labels, IReadOnlyList<string> Classes) ReadLabels(
        string root, string? given, List<IsicProblem> problems)
    {
        var labels = new Dictionary<string, (int Line, int ClassIndex)>(StringComparer.Ordinal);
        string path;
        if (given is not null)
        {
            path = Path.GetFullPath(Path.Combine(root, given));
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Labels file '{path}' does not exist.", path);
            }
        }
        else
        {
            var csvs = Directory.EnumerateFiles(root, "*.csv").Order(StringComparer.Ordinal).ToList();
            if (csvs.Count == 0)
            {
                return (null, labels, []);
            }

            if (csvs.Count > 1)
            {
                problems.Add(new(".", 0, $"{csvs.Count} CSV files at the root ({string.Join(", ", csvs.Select(Path.GetFileName))}); pass the labels file explicitly"));
                return (null, labels, []);
            }

            path = csvs[0];
        }

        var rel = Path.GetRelativePath(root, path);
        var file = rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? path : rel.Replace('\\', '/');
        var rows = new List<(int Line, string Id, string[] Fields)>();
        string[]? header = null;
        var number = 0;
        foreach (var text in File.ReadLines(path))
        {
            number++;
            if (text.Trim().Length == 0)
            {
                continue;
            }

            var fields = text.Split(',').Select(f => f.Trim().Trim('"').Trim()).ToArray();
            if (header is null)
            {
                header = fields;
                if (header.Length < 2 || !header[0].Equals("image", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(new(file, number, "header must be 'image,label' or 'image,<class>,<class>,…' (one-hot)"));
                    return (file, labels, []);
                }

                continue;
            }

            if (fields.Length != header.Length)
            {
                problems.Add(new(file, number, $"expected {header.Length} fields, got {fields.Length}"));
                if (ImageId(fields[0]) is { } rowId)
                {
                    labels.TryAdd(rowId, (number, -1)); // the image is then not reported again as unlabelled
                }

                continue;
            }

            var name = fields[0];
            if (name.Contains('/') || name.Contains('\\') || name.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(name))
            {
                problems.Add(new(file, number, $"image '{name}' is a path escaping the root; expected a bare name like ISIC_0000000"));
                continue;
            }

            var id = ImageId(name);
            if (id is null)
            {
                problems.Add(new(file, number, $"'{name}' is not an ISIC image name (ISIC_<id>)"));
                continue;
            }

            if (labels.TryGetValue(id, out var first))
            {
                problems.Add(new(file, number, $"duplicate id ISIC_{id} (first on line {first.Line})"));
                continue;
            }

            labels[id] = (number, -1);
            rows.Add((number, id, fields));
        }

        if (header is null)
        {
            problems.Add(new(file, 0, "file is empty"));
            return (file, labels, []);
        }

        IReadOnlyList<string> classes;
        if (header.Length == 2)
        {
            classes = rows.Select(r => r.Fields[1]).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var index = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
            foreach (var (line, id, fields) in rows)
            {
                if (fields[1].Length == 0)
                {
                    problems.Add(new(file, line, $"ISIC_{id}: empty label"));
                    continue;
                }

                labels[id] = (line, index[fields[1]]);
            }

            return (file, labels, classes);
        }

        classes = header[1..];
        foreach (var (line, id, fields) in rows)
        {
            var ones = new List<int>();
            var bad = false;
            for (var c = 1; c < fields.Length; c++)
            {
                if (!double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v is not (0.0 or 1.0))
                {
                    problems.Add(new(file, line, $"ISIC_{id}: {header[c]} is '{fields[c]}', expected 0.0 or 1.0"));
                    bad = true;
                    break;
                }

                if (v == 1.0)
                {
                    ones.Add(c - 1);
                }
            }

            if (bad)
            {
                continue;
            }

            if (ones.Count != 1)
            {
                problems.Add(new(file, line, $"ISIC_{id}: expected exactly one 1.0 among {string.Join(",", classes)}, got {ones.Count}"));
                continue;
            }

            labels[id] = (line, ones[0]);
        }

        return (file, labels, classes);
    }

    /// <summary>The id of <c>ISIC_&lt;id&gt;</c> or <c>ISIC_&lt;id&gt;.jpg</c>, else null.</summary>
    private static string? ImageId(string name)
    {
        if (name.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
        {
            name = Path.GetFileNameWithoutExtension(name);
        }

        if (!name.StartsWith("ISIC_", StringComparison.Ordinal) || name.Length == 5)
        {
            return null;
        }

        var id = name[5..];
        return id.All(char.IsAsciiLetterOrDigit) ? id : null;
    }
}
