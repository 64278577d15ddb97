using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Chorus.Data.Imaging;
using Chorus.Data.Isic;
using Chorus.IO;
using SkiaSharp;

namespace Chorus.Data.Synthetic;

/// <summary>
/// SynthLesions: a procedural dermoscopy dataset in the ISIC 2018 Task 1 layout, with exact lesion masks and a
/// benign/malignant label carried only by the lesion itself: border irregularity, colour variegation (several browns,
/// black and blue-grey patches) and asymmetry (of shape and of pigment). Skin tone, lesion size, elongation and
/// orientation, a pigment network, hair, a ruler with scale marks, dermoscope vignetting, an illumination gradient,
/// sensor noise and the JPEG quality are drawn independently of the class.
/// <para>
/// Output: <c>ISIC2018_Task1-2_Training_Input/ISIC_&lt;7 digits&gt;.jpg</c> with
/// <c>ISIC2018_Task1_Training_GroundTruth/ISIC_&lt;id&gt;_segmentation.png</c> (0/255, image-sized), the same under
/// the <c>Validation</c> folders for the held-out split, <c>labels.csv</c> (ISIC Task 3 one-hot style:
/// <c>image,benign,malignant</c> with <c>1.0</c>/<c>0.0</c>) and <c>synthlesions.json</c>. The folder loads with
/// <see cref="IsicDataset.Load"/>.
/// </para>
/// <para>
/// Every image draws its randomness from its own xoshiro256** generators seeded from (seed, image index), so the
/// result does not depend on scheduling: the same options give a byte-identical folder.
/// </para>
/// </summary>
public static class SynthLesions
{
    /// <summary>Version of the generator recorded in <c>synthlesions.json</c>; bumped whenever output for the same options changes.</summary>
    public const int GeneratorVersion = 1;

    /// <summary>Name of the marker file written at the root.</summary>
    public const string MarkerFile = "synthlesions.json";

    /// <summary>Name of the labels CSV written at the root (the only <c>*.csv</c> there).</summary>
    public const string LabelsFile = "labels.csv";

    private static readonly string[] Names = ["benign", "malignant"];

    /// <summary>The classes, in labels-CSV column order: <c>benign</c> (index 0), <c>malignant</c> (index 1).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(Names);

    /// <summary>
    /// Generates the dataset into <paramref name="dir"/>, which must not exist or be empty.
    /// </summary>
    /// <param name="dir">Destination folder.</param>
    /// <param name="options">Options (validated first).</param>
    /// <param name="progress">Receives the number of images finished so far (not in order).</param>
    /// <param name="maxDegreeOfParallelism">Worker threads; -1 (default) for all cores. Does not affect the output.</param>
    /// <param name="cancellationToken">Stops between images; the folder is then incomplete.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    /// <exception cref="ChorusException"><paramref name="dir"/> is a file, or a folder that is not empty.</exception>
    public static SynthLesionsSummary Generate(
        string dir,
        SynthLesionsOptions options,
        IProgress<int>? progress = null,
        int maxDegreeOfParallelism = -1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var root = Path.GetFullPath(dir);
        if (File.Exists(root))
        {
            throw new ChorusException($"SynthLesions output folder '{root}' is a file; choose a new folder.");
        }

        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new ChorusException($"SynthLesions output folder '{root}' is not empty; choose a new folder or delete it first.");
        }

        Directory.CreateDirectory(root);
        var done = 0;
        Parallel.For(
            0,
            options.Count,
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken },
            i =>
            {
                WriteImage(root, options, i);
                progress?.Report(Interlocked.Increment(ref done));
            });

        AtomicFile.WriteAllText(Path.Combine(root, LabelsFile), LabelsCsv(options));
        AtomicFile.WriteAllText(Path.Combine(root, MarkerFile), Manifest(options));
        var train = Enumerable.Range(0, options.Count).Count(i => IsTrain(options, i));
        return new SynthLesionsSummary(options.Count, train, options.Count - train, ClassNames);
    }

    /// <summary>The class index (into <see cref="ClassNames"/>) of image <paramref name="index"/> (0-based): <c>index mod 2</c>.</summary>
    public static int ClassOf(int index) => index % Names.Length;

    /// <summary>Whether image <paramref name="index"/> (0-based) is in the training split: exact stratified split per class.</summary>
    public static bool IsTrain(SynthLesionsOptions options, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        var k = index / Names.Length; // k-th image of its class
        return Math.Floor((k + 1) * options.TestFraction) == Math.Floor(k * options.TestFraction);
    }

    /// <summary>The ISIC id of image <paramref name="index"/> (0-based): <c>ISIC_0000001</c> for index 0.</summary>
    public static string ImageName(int index) => "ISIC_" + (index + 1).ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>Renders image <paramref name="index"/> without writing it (for tests and previews).</summary>
    internal static LesionSample Render(SynthLesionsOptions options, int index) => LesionRenderer.Render(options, index);

    /// <summary>Encodes an RGB image as baseline JPEG (4:2:0); the same pixels and quality always give the same bytes.</summary>
    internal static byte[] EncodeJpeg(RgbImage image, int quality)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        var src = image.Pixels;
        for (int i = 0, j = 0; i < src.Length; i += 3, j += 4)
        {
            rgba[j] = src[i];
            rgba[j + 1] = src[i + 1];
            rgba[j + 2] = src[i + 2];
            rgba[j + 3] = 255;
        }

        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), image.Width * 4);
            using var data = pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
                ?? throw new InvalidOperationException($"SkiaSharp could not encode a {image.Width}×{image.Height} JPEG.");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    private static void WriteImage(string root, SynthLesionsOptions options, int index)
    {
        var sample = LesionRenderer.Render(options, index);
        var split = IsTrain(options, index) ? IsicSplit.Training : IsicSplit.Validation;
        var name = ImageName(index);
        AtomicFile.WriteAllBytes(Path.Combine(root, IsicDataset.InputFolder(split), name + ".jpg"), EncodeJpeg(sample.Image, sample.Distractors.JpegQuality));
        ImageIO.SavePng(Path.Combine(root, IsicDataset.GroundTruthFolder(split), name + "_segmentation.png"), sample.Mask);
    }

    private static string LabelsCsv(SynthLesionsOptions options)
    {
        var sb = new StringBuilder("image,").Append(string.Join(',', Names)).Append('\n');
        for (var i = 0; i < options.Count; i++)
        {
            sb.Append(ImageName(i));
            for (var c = 0; c < Names.Length; c++)
            {
                sb.Append(c == ClassOf(i) ? ",1.0" : ",0.0");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The manifest, written with <see cref="Utf8JsonWriter"/> (no reflection).</summary>
    private static string Manifest(SynthLesionsOptions options)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            w.WriteStartObject();
            w.WriteString("generator", "SynthLesions");
            w.WriteNumber("generatorVersion", GeneratorVersion);
            w.WriteStartObject("options");
            w.WriteNumber("count", options.Count);
            w.WriteNumber("imageSize", options.ImageSize);
            w.WriteNumber("testFraction", options.TestFraction);
            w.WriteNumber("seed", options.Seed);
            w.WriteEndObject();
            w.WriteString("layout", "ISIC 2018 Task 1; the held-out split is in the Validation folders");
            w.WriteString("labels", LabelsFile);
            w.WriteStartArray("classes");
            foreach (var c in Names)
            {
                w.WriteStringValue(c);
            }

            w.WriteEndArray();
            w.WriteString("classCues", "border irregularity, colour variegation, asymmetry (shape and pigment)");
            w.WriteString("distractors", "skin tone, lesion size/elongation/orientation, pigment network, hair, ruler, vignetting, illumination gradient, noise, JPEG quality");
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
