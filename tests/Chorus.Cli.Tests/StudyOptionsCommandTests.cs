using System.Globalization;
using System.Text.Json.Nodes;
using Chorus.Data.Cub;
using Chorus.Data.Synthetic;
using Chorus.Evaluation;

namespace Chorus.Cli.Tests;

/// <summary>The study on a plain folder dataset, and the dataset/training/explanation options of <c>demo</c>.</summary>
[Collection("Cli")]
public class StudyOptionsCommandTests
{
    [Fact]
    public async Task Demo_PlainFolderWithMasksAndKeypoints_ScoresBothRegionsAndReloads()
    {
        // Given: SynthBirds rewritten as root/<class>/<file>.png, masks/<class>/<file>.png (the beak part mask),
        // regions.csv (the beak keypoint) and split.csv (CUB's split)
        var root = Path.Combine(TestPaths.TempDir(), "folder-birds");
        WriteFolderBirds(root, count: 240);
        var outDir = Path.Combine(TestPaths.TempDir(), "folder-run");

        // When: the format is detected
        var (code, output) = await CliRunner.RunAsync("demo", "--data", root, "--quick", "--members", "2", "--explain", "8", "--out", outDir);

        // Then: both regions are scored with the folder defaults (iou, pearson)
        Assert.True(code == 0, output);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!;
        var dataset = manifest["options"]!["dataset"]!;
        Assert.Equal("folder", dataset["format"]!.GetValue<string>());
        Assert.Equal(["mask", "beak_point"], dataset["parts"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("split.csv", dataset["split"]!.GetValue<string>());
        Assert.Equal(4, dataset["classes"]!.GetValue<int>());
        var results = ResultsCsv.Read(Path.Combine(outDir, "results.csv"));
        Assert.Equal(["mask", "beak_point"], results.Select(r => r.Part).Distinct());
        Assert.Equal(["iou", "pearson"], results.Select(r => r.Metric).Distinct());
        Assert.All(results, r => Assert.True(double.IsFinite(r.Mean), $"{r.Part} {r.Method} {r.Metric}"));

        // And: evaluate reloads the same folder run
        var (evalCode, evalOutput) = await CliRunner.RunAsync("evaluate", "--run", outDir, "--metrics", "iou,pearson", "--orders", "2");
        Assert.True(evalCode == 0, evalOutput);
        var again = ResultsCsv.Read(Path.Combine(outDir, "results.csv"));
        foreach (var r in results)
        {
            Assert.Equal(r.Mean, Assert.Single(again, a => (a.Part, a.Method, a.Metric, a.Aggregate) == (r.Part, r.Method, r.Metric, r.Aggregate)).Mean, 12);
        }
    }

    [Fact]
    public async Task Demo_ClassesCacheAugment_KeepsThreeClassesReusesTheCacheAndRefusesOtherPrecisionOnTheSameMaps()
    {
        // Given
        var outDir = Path.Combine(TestPaths.TempDir(), "classes-run");
        var cache = Path.Combine(TestPaths.TempDir(), "split-cache");
        string[] args = ["demo", "--quick", "--classes", "1-3", "--cache", cache, "--augment", "standard", "--members", "2", "--explain", "4", "--out", outDir];

        // When
        var (code, output) = await CliRunner.RunAsync(args);

        // Then: 3 of the 4 quick species, the chance level says so, the cache holds both splits
        Assert.True(code == 0, output);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!;
        Assert.Equal(3, manifest["options"]!["dataset"]!["classes"]!.GetValue<int>());
        Assert.Equal("1-3", manifest["options"]!["dataset"]!["classes_selected"]!.GetValue<string>());
        Assert.Equal(Math.Round(1.0 / 3, 4), manifest["results"]!["chance_accuracy"]!.GetValue<double>());
        Assert.NotNull(manifest["options"]!["study"]!["Training"]!["Augmentation"]);
        var cached = Directory.GetFiles(cache).Order().ToArray();
        Assert.Equal(2, cached.Length);
        var times = cached.Select(File.GetLastWriteTimeUtc).ToArray();

        // When: the same command again (everything resumes; the splits come from the cache)
        var (code2, output2) = await CliRunner.RunAsync(args);

        // Then: the cache files were read, not rewritten
        Assert.True(code2 == 0, output2);
        Assert.Equal(cached, Directory.GetFiles(cache).Order().ToArray());
        Assert.Equal(times, cached.Select(File.GetLastWriteTimeUtc).ToArray());

        // When: bf16 explanations into the folder whose maps are fp32
        var (code3, output3) = await CliRunner.RunAsync([.. args, "--precision", "bf16"]);

        // Then: refused, naming the setting
        Assert.Equal(2, code3);
        Assert.Contains("precision=fp32", output3);
    }

    [Fact]
    public async Task Demo_ExplainsChannelsLastByDefault_RecordsIt_AndRefusesToMixLayouts()
    {
        // Given the quick demo with default explanation settings
        var outDir = Path.Combine(TestPaths.TempDir(), "layout-run");
        string[] args = ["demo", "--quick", "--members", "2", "--explain", "4", "--out", outDir];

        // When
        var (code, output) = await CliRunner.RunAsync(args);

        // Then: the manifest and the maps' settings say which order the maps were computed in
        Assert.True(code == 0, output);
        var attribution = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!["options"]!["attribution"]!;
        Assert.Equal("channels-last", attribution["layout"]!.GetValue<string>());
        var machine = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!["machine"]!;
        Assert.StartsWith("glibc mallopt", machine["native_allocator"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("layout=channels-last", File.ReadAllText(Path.Combine(outDir, "run", "maps", "settings.txt")));

        // When: faithfulness on that run (its forward passes borrow each member channels-last too)
        var (codeF, outputF) = await CliRunner.RunAsync("evaluate", "--run", outDir, "--faithfulness", "--faithfulness-images", "2", "--faithfulness-steps", "2");

        // Then: deletion and insertion, Ens and Exp, for each of the 5 methods, over the 2 images
        Assert.True(codeF == 0, outputF);
        var rows = ResultsCsv.Read(Path.Combine(outDir, "faithfulness.csv"));
        Assert.Equal(5 * 2 * 2, rows.Count);
        Assert.All(rows, r => Assert.Equal(2, r.NImages));

        // When: resumed with NCHW passes
        var (code2, output2) = await CliRunner.RunAsync([.. args, "--layout", "nchw"]);

        // Then: refused, naming the setting, rather than mixing members or maps of two orders
        Assert.Equal(2, code2);
        Assert.Contains("--layout", output2);
    }

    [Fact]
    public async Task Demo_Aggregate_IsRecordedAndNamedInTheSummary()
    {
        var outDir = Path.Combine(TestPaths.TempDir(), "aggregate-run");
        var (code, output) = await CliRunner.RunAsync(
            "demo", "--quick", "--members", "2", "--count", "160", "--epochs", "1", "--pretrain-epochs", "1", "--explain", "4",
            "--methods", "saliency", "--aggregate", "median+rank", "--out", outDir);

        Assert.True(code == 0, output);
        Assert.Equal("median+rank", Chorus.Evaluation.SummaryJson.Read(Path.Combine(outDir, "summary.json")).Aggregator);
        var study = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!["options"]!["study"]!;
        Assert.Equal("median+rank", study["Aggregate"]!.GetValue<string>());
    }

    [Fact]
    public async Task Demo_IgTolerance_RecordsStepsPerImage_AndRefusesToReuseMapsOfAnotherTolerance()
    {
        // Given the quick demo with adaptive Integrated Gradients only
        var outDir = Path.Combine(TestPaths.TempDir(), "ig-tolerance-run");
        string[] args = ["demo", "--quick", "--members", "2", "--explain", "4", "--methods", "integrated-gradients", "--ig-tolerance", "0.05", "--out", outDir];

        // When
        var (code, output) = await CliRunner.RunAsync(args);

        // Then: steps and gap per image and member on disk, a summary in the manifest, the tolerance in the map settings
        Assert.True(code == 0, output);
        var steps = File.ReadAllLines(Path.Combine(outDir, "run", "maps", "integrated-gradients", "member-01.steps.csv"));
        Assert.Equal(5, steps.Length);
        var convergence = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!["results"]!["integrated_gradients_convergence"]!;
        Assert.Equal(0.05, convergence["tolerance"]!.GetValue<double>());
        Assert.Equal(8, convergence["maps"]!.GetValue<int>());
        Assert.InRange(convergence["mean_steps"]!.GetValue<double>(), 8, 16);
        Assert.Contains("Tolerance = 0.05", File.ReadAllText(Path.Combine(outDir, "run", "maps", "settings.txt")));

        // When: resumed with another tolerance
        var (code2, output2) = await CliRunner.RunAsync([.. args[..^4], "--ig-tolerance", "0.01", "--out", outDir]);

        // Then: refused, naming the setting, instead of reusing maps made with 0.05
        Assert.Equal(2, code2);
        Assert.Contains("Tolerance = 0.01", output2);
    }

    [Theory]
    [InlineData("--ig-tolerance", "0", "--ig-tolerance")]
    [InlineData("--classes", "3-1x", "--classes")]
    [InlineData("--roi-shape", "square", "--roi-shape")]
    [InlineData("--augment", "heavy", "augment")]
    [InlineData("--precision", "fp16", "--precision")]
    [InlineData("--layout", "nhcw", "--layout")]
    [InlineData("--internal-batch-size", "0", "--internal-batch-size")]
    [InlineData("--test-fraction", "1.5", "--test-fraction")]
    public async Task Demo_BadOptionValue_OneLineErrorNamingTheOption(string option, string value, string named)
    {
        var (code, output) = await CliRunner.RunAsync("demo", "--quick", option, value, "--out", Path.Combine(TestPaths.TempDir(), "bad"));

        Assert.Equal(2, code);
        Assert.Contains(named, output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Demo_ClassesOnLesions_IsRefused()
    {
        var (code, output) = await CliRunner.RunAsync("demo", "--dataset", "synth-lesions", "--quick", "--classes", "1", "--out", Path.Combine(TestPaths.TempDir(), "bad"));

        Assert.Equal(2, code);
        Assert.Contains("--classes", output);
    }

    /// <summary>Generates SynthBirds (4 species, 48 px) and rewrites it as a plain folder dataset.</summary>
    [Fact]
    public async Task Demo_Crop_OnWidenedImages_GivesTheResultsOfTheSquareOriginals()
    {
        // Given: the folder birds (48×48), and the same folder with every image, mask and keypoint widened to 96×48 by a
        // 24-px grey margin on each side (shorter side 48 = --size, so --crop keeps exactly the original square)
        var square = Path.Combine(TestPaths.TempDir(), "square-birds");
        WriteFolderBirds(square, count: 160);
        var wide = Path.Combine(TestPaths.TempDir(), "wide-birds");
        Widen(square, wide, margin: 24);
        string[] common = ["--quick", "--size", "48", "--members", "2", "--explain", "6", "--format", "folder"];
        var squareOut = Path.Combine(TestPaths.TempDir(), "square-run");
        var cropOut = Path.Combine(TestPaths.TempDir(), "crop-run");
        var stretchOut = Path.Combine(TestPaths.TempDir(), "stretch-run");

        // When
        var (c1, o1) = await CliRunner.RunAsync(["demo", "--data", square, "--out", squareOut, .. common]);
        var (c2, o2) = await CliRunner.RunAsync(["demo", "--data", wide, "--crop", "--out", cropOut, .. common]);
        var (c3, o3) = await CliRunner.RunAsync(["demo", "--data", wide, "--out", stretchOut, .. common]);

        // Then: cropping the wide images reproduces the square run's mask scores exactly (same pixels, same training);
        // stretching them does not. (The keypoint disc is relative to the image's longer side, so it is larger here.)
        Assert.True(c1 == 0, o1);
        Assert.True(c2 == 0, o2);
        Assert.True(c3 == 0, o3);
        string[] MaskRows(string run) => [.. File.ReadAllLines(Path.Combine(run, "results.csv")).Where(l => l.StartsWith("mask,", StringComparison.Ordinal))];
        var squareRows = MaskRows(squareOut);
        Assert.Equal(20, squareRows.Length);
        Assert.Equal(squareRows, MaskRows(cropOut));
        Assert.NotEqual(squareRows, MaskRows(stretchOut));
        Assert.True(JsonNode.Parse(File.ReadAllText(Path.Combine(cropOut, "manifest.json")))!["options"]!["dataset"]!["crop"]!.GetValue<bool>());

        // And reloading the cropped run (evaluate --run, all nine metrics by default) crops again: same mask Pearson rows
        string[] Pearson(string run) => [.. MaskRows(run).Where(l => l.Contains(",pearson,", StringComparison.Ordinal))];
        var before = Pearson(cropOut);
        var (c4, o4) = await CliRunner.RunAsync("evaluate", "--run", cropOut);
        Assert.True(c4 == 0, o4);
        Assert.Equal(10, before.Length);
        Assert.Equal(before, Pearson(cropOut));
    }

    /// <summary>Copies a plain-folder dataset with every image and mask padded left and right (grey, mask 0) and regions.csv x shifted.</summary>
    private static void Widen(string from, string to, int margin)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*.png", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(from, file);
            var target = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (rel.StartsWith("masks", StringComparison.Ordinal))
            {
                var mask = Chorus.Data.Imaging.ImageIO.LoadGray(file);
                var wideMask = new Chorus.Data.Imaging.GrayImage(mask.Width + (2 * margin), mask.Height);
                for (var y = 0; y < mask.Height; y++)
                {
                    Array.Copy(mask.Pixels, y * mask.Width, wideMask.Pixels, (y * wideMask.Width) + margin, mask.Width);
                }

                Chorus.Data.Imaging.ImageIO.SavePng(target, wideMask);
            }
            else
            {
                var image = Chorus.Data.Imaging.ImageIO.LoadRgb(file);
                var wideImage = new Chorus.Data.Imaging.RgbImage(image.Width + (2 * margin), image.Height);
                Array.Fill(wideImage.Pixels, (byte)128);
                for (var y = 0; y < image.Height; y++)
                {
                    Array.Copy(image.Pixels, y * image.Width * 3, wideImage.Pixels, ((y * wideImage.Width) + margin) * 3, image.Width * 3);
                }

                Chorus.Data.Imaging.ImageIO.SavePng(target, wideImage);
            }
        }

        File.Copy(Path.Combine(from, "split.csv"), Path.Combine(to, "split.csv"));
        var regions = File.ReadAllLines(Path.Combine(from, "regions.csv"));
        File.WriteAllLines(Path.Combine(to, "regions.csv"), regions.Select((line, i) =>
        {
            if (i == 0)
            {
                return line;
            }

            var f = line.Split(',');
            f[3] = (double.Parse(f[3], CultureInfo.InvariantCulture) + margin).ToString(CultureInfo.InvariantCulture);
            return string.Join(',', f);
        }));
    }

    private static void WriteFolderBirds(string root, int count)
    {
        var cubDir = root + "-cub";
        SynthBirds.Generate(cubDir, new SynthBirdsOptions(Species: 4, ImageSize: 48, Count: count, TestFraction: 0.3, Seed: 3));
        var cub = CubDataset.Load(cubDir);
        var regions = new List<string> { "image,region,kind,x,y" };
        var split = new List<string> { "image,split" };
        foreach (var image in cub.Images)
        {
            var cls = image.ClassName.Replace(' ', '_');
            var name = $"{image.Id:D4}.png";
            var rel = $"{cls}/{name}";
            Directory.CreateDirectory(Path.Combine(root, cls));
            File.Copy(image.FullPath, Path.Combine(root, cls, name));
            split.Add($"{rel},{(image.IsTrain ? "train" : "test")}");
            if (cub.PartMaskPath(image, CubParts.Beak) is { } mask)
            {
                Directory.CreateDirectory(Path.Combine(root, "masks", cls));
                File.Copy(mask, Path.Combine(root, "masks", cls, name));
            }

            if (image.VisiblePart(CubParts.Beak) is { } beak)
            {
                regions.Add(string.Create(CultureInfo.InvariantCulture, $"{rel},beak_point,point,{beak.X},{beak.Y}"));
            }
        }

        File.WriteAllLines(Path.Combine(root, "regions.csv"), regions);
        File.WriteAllLines(Path.Combine(root, "split.csv"), split);
    }
}
