using System.Globalization;
using System.Text;
using System.Text.Json;
using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using Chorus.IO;

namespace Chorus.Data.Synthetic;

/// <summary>Counts of a generated SynthBirds folder.</summary>
public sealed record SynthBirdsSummary(string Root, int Images, int TrainImages, int TestImages, IReadOnlyList<SynthBirdSpecies> Species);

/// <summary>
/// SynthBirds: a procedural bird dataset whose species differ only in beak (shape, length, colour) and wing
/// (pattern, colour), with exact part masks. Body colour, pose (facing left/right, ±12° rotation), scale, position,
/// background clutter and lighting are random and carry no class information.
/// <para>
/// The output folder has the CUB-200-2011 layout (<c>images/</c>, <c>images.txt</c>, <c>classes.txt</c>,
/// <c>image_class_labels.txt</c>, <c>train_test_split.txt</c>, <c>bounding_boxes.txt</c>, <c>parts/parts.txt</c>,
/// <c>parts/part_locs.txt</c>, <c>segmentations/</c>), plus <c>part_masks/&lt;part&gt;/&lt;image path&gt;.png</c> for the
/// beak, eyes, legs, wings and tail (written only for parts visible in the image) and <c>synthbirds.json</c>.
/// </para>
/// <para>
/// Every image draws its randomness from its own xoshiro256** generator seeded from (seed, image index), so the
/// result does not depend on scheduling: the same options give a byte-identical folder.
/// </para>
/// </summary>
public static class SynthBirds
{
    /// <summary>Version of the generator recorded in <c>synthbirds.json</c>; bumped whenever output for the same options changes.</summary>
    public const int GeneratorVersion = 1;

    private static readonly int[] MaskedParts =
        [CubParts.Beak, CubParts.LeftEye, CubParts.LeftLeg, CubParts.LeftWing, CubParts.RightEye, CubParts.RightLeg, CubParts.RightWing, CubParts.Tail];

    /// <summary>
    /// Generates the dataset into <paramref name="outputDir"/>, which must not exist or be empty.
    /// </summary>
    /// <param name="outputDir">Destination folder.</param>
    /// <param name="options">Options; default <c>new SynthBirdsOptions()</c> (8 species, 64 px, 2000 images).</param>
    /// <param name="progress">Receives the number of images finished so far (not in order).</param>
    /// <param name="maxDegreeOfParallelism">Worker threads; -1 (default) for all cores. Does not affect the output.</param>
    /// <param name="cancellationToken">Stops between images; the folder is then incomplete.</param>
    public static SynthBirdsSummary Generate(
        string outputDir,
        SynthBirdsOptions? options = null,
        IProgress<int>? progress = null,
        int maxDegreeOfParallelism = -1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outputDir);
        options ??= new SynthBirdsOptions();
        options.Validate();
        var root = Path.GetFullPath(outputDir);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new IOException($"SynthBirds output folder '{root}' is not empty; choose a new folder or delete it first.");
        }

        Directory.CreateDirectory(root);
        var table = SynthBirdsSpecies.Table(options.Species);
        var records = new ImageRecord[options.Count];
        var done = 0;
        Parallel.For(
            0,
            options.Count,
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken },
            i =>
            {
                records[i] = WriteImage(root, options, table, i);
                progress?.Report(Interlocked.Increment(ref done));
            });

        WriteIndex(root, options, table, records);
        var train = records.Count(r => r.IsTrain);
        return new SynthBirdsSummary(root, records.Length, train, records.Length - train, table);
    }

    /// <summary>Whether image <paramref name="index"/> (0-based) is in the training split: exact stratified split per species.</summary>
    public static bool IsTrain(SynthBirdsOptions options, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        var k = index / options.Species; // k-th image of its species
        return Math.Floor((k + 1) * options.TestFraction) == Math.Floor(k * options.TestFraction);
    }

    /// <summary>Renders image <paramref name="index"/> without writing it (for tests and previews).</summary>
    internal static SynthBirdSample Render(SynthBirdsOptions options, int index) =>
        BirdRenderer.Render(options, SynthBirdsSpecies.Table(options.Species), index);

    /// <summary>The relative path (forward slashes) of image <paramref name="index"/>, as in <c>images.txt</c>.</summary>
    public static string RelativePath(SynthBirdSpecies species, int index) =>
        $"{species.Index + 1:D3}.{species.Name}/{species.Name}_{index + 1:D5}.png";

    private static ImageRecord WriteImage(string root, SynthBirdsOptions options, IReadOnlyList<SynthBirdSpecies> table, int index)
    {
        var sample = BirdRenderer.Render(options, table, index);
        var rel = RelativePath(sample.Species, index);
        ImageIO.SavePng(Path.Combine(root, "images", rel), sample.Image);
        ImageIO.SavePng(Path.Combine(root, "segmentations", rel), sample.BirdMask());
        foreach (var part in MaskedParts)
        {
            if (sample.LabelOf(part) is { } label && sample.Parts[part - 1].Visible)
            {
                var slug = CubParts.Slug(CubParts.Names[part - 1]);
                ImageIO.SavePng(Path.Combine(root, "part_masks", slug, rel), sample.Mask(label));
            }
        }

        return new ImageRecord(index + 1, rel, sample.Species.Index + 1, IsTrain(options, index), sample.Box, sample.Parts);
    }

    private static void WriteIndex(string root, SynthBirdsOptions options, IReadOnlyList<SynthBirdSpecies> table, ImageRecord[] records)
    {
        string Lines<T>(IEnumerable<T> items, Func<T, string> line)
        {
            var sb = new StringBuilder();
            foreach (var item in items)
            {
                sb.Append(line(item)).Append('\n');
            }

            return sb.ToString();
        }

        static string F(float v) => v.ToString("0.0###", CultureInfo.InvariantCulture);

        AtomicFile.WriteAllText(Path.Combine(root, "classes.txt"), Lines(table, s => $"{s.Index + 1} {s.Index + 1:D3}.{s.Name}"));
        AtomicFile.WriteAllText(Path.Combine(root, "images.txt"), Lines(records, r => $"{r.Id} {r.RelativePath}"));
        AtomicFile.WriteAllText(Path.Combine(root, "image_class_labels.txt"), Lines(records, r => $"{r.Id} {r.ClassId}"));
        AtomicFile.WriteAllText(Path.Combine(root, "train_test_split.txt"), Lines(records, r => $"{r.Id} {(r.IsTrain ? 1 : 0)}"));
        AtomicFile.WriteAllText(
            Path.Combine(root, "bounding_boxes.txt"),
            Lines(records, r => $"{r.Id} {F(r.Box.X)} {F(r.Box.Y)} {F(r.Box.Width)} {F(r.Box.Height)}"));
        AtomicFile.WriteAllText(Path.Combine(root, "parts", "parts.txt"), Lines(Enumerable.Range(1, 15), id => $"{id} {CubParts.Names[id - 1]}"));
        AtomicFile.WriteAllText(
            Path.Combine(root, "parts", "part_locs.txt"),
            Lines(
                records.SelectMany(r => r.Parts.Select((p, i) => (r.Id, Part: i + 1, Loc: p))),
                t => t.Loc.Visible ? $"{t.Id} {t.Part} {F(t.Loc.X)} {F(t.Loc.Y)} 1" : $"{t.Id} {t.Part} 0.0 0.0 0"));

        AtomicFile.WriteAllText(Path.Combine(root, "synthbirds.json"), Manifest(options, table));
    }

    /// <summary>The manifest, written with <see cref="Utf8JsonWriter"/> (no reflection, so it also works trimmed/AOT).</summary>
    private static string Manifest(SynthBirdsOptions options, IReadOnlyList<SynthBirdSpecies> table)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("generator", "SynthBirds");
            w.WriteNumber("generatorVersion", GeneratorVersion);
            w.WriteStartObject("options");
            w.WriteNumber("species", options.Species);
            w.WriteNumber("imageSize", options.ImageSize);
            w.WriteNumber("count", options.Count);
            w.WriteNumber("testFraction", options.TestFraction);
            w.WriteNumber("seed", options.Seed);
            w.WriteEndObject();
            w.WriteString("coordinates", "pixel-edge: pixel (i, j) covers [i, i+1) x [j, j+1); keypoints of masked parts are mask centroids");
            w.WriteStartArray("partMasks");
            foreach (var p in MaskedParts)
            {
                w.WriteStringValue(CubParts.Slug(CubParts.Names[p - 1]));
            }

            w.WriteEndArray();
            w.WriteStartArray("species");
            foreach (var s in table)
            {
                w.WriteStartObject();
                w.WriteNumber("id", s.Index + 1);
                w.WriteString("name", s.Name);
                w.WriteStartObject("beak");
                w.WriteString("shape", s.Beak.Shape.ToString());
                w.WriteBoolean("long", s.Beak.Long);
                WriteColour(w, s.Beak.Colour);
                w.WriteEndObject();
                w.WriteStartObject("wing");
                w.WriteString("pattern", s.Wing.Pattern.ToString());
                WriteColour(w, s.Wing.Colour);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteColour(Utf8JsonWriter w, NamedColour c)
    {
        w.WriteString("colour", c.Name);
        w.WriteStartArray("rgb");
        w.WriteNumberValue(c.R);
        w.WriteNumberValue(c.G);
        w.WriteNumberValue(c.B);
        w.WriteEndArray();
    }

    private sealed record ImageRecord(int Id, string RelativePath, int ClassId, bool IsTrain, BoundingBox Box, PartLocation[] Parts);
}
