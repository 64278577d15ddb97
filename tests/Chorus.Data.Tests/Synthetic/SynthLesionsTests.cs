using System.Text.Json;
using Chorus.Data.Imaging;
using Chorus.Data.Isic;
using Chorus.Data.Synthetic;

namespace Chorus.Data.Tests.Synthetic;

/// <summary>One small SynthLesions folder shared by the tests of a class (60 images at 64 px).</summary>
public sealed class SynthLesionsFixture
{
    public SynthLesionsFixture()
    {
        Root = Path.Combine(TestPaths.TempDir("synthlesions"), "ds");
        Summary = SynthLesions.Generate(Root, Options);
    }

    public static SynthLesionsOptions Options { get; } = new(Count: 60, ImageSize: 64, TestFraction: 0.3, Seed: 7);

    public string Root { get; }

    public SynthLesionsSummary Summary { get; }
}

public class SynthLesionsTests(SynthLesionsFixture fixture) : IClassFixture<SynthLesionsFixture>
{
    private static readonly SynthLesionsOptions Small = new(Count: 24, ImageSize: 48, Seed: 3);

    private static Dictionary<string, byte[]> ReadTree(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllBytes);

    [Fact]
    public void Generate_SameSeed_ByteIdenticalFolder_WhateverTheParallelism()
    {
        // Given / When
        var a = Path.Combine(TestPaths.TempDir(), "a");
        var b = Path.Combine(TestPaths.TempDir(), "b");
        SynthLesions.Generate(a, Small, maxDegreeOfParallelism: 1);
        SynthLesions.Generate(b, Small, maxDegreeOfParallelism: 4);

        // Then: 24 images + 24 masks + labels.csv + synthlesions.json, all identical
        var ta = ReadTree(a);
        var tb = ReadTree(b);
        Assert.Equal(ta.Keys.Order(), tb.Keys.Order());
        Assert.All(ta, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(tb[kv.Key]), kv.Key + " differs"));
        Assert.DoesNotContain(ta.Keys, k => k.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal((2 * 24) + 2, ta.Count);
    }

    [Fact]
    public void Generate_DifferentSeed_DifferentImagesAndMasks()
    {
        var a = Path.Combine(TestPaths.TempDir(), "a");
        var b = Path.Combine(TestPaths.TempDir(), "b");
        SynthLesions.Generate(a, Small with { Count = 6 });
        SynthLesions.Generate(b, Small with { Count = 6, Seed = 4 });

        var ta = ReadTree(a);
        var tb = ReadTree(b);
        var files = ta.Keys.Where(k => k.EndsWith(".jpg", StringComparison.Ordinal) || k.EndsWith(".png", StringComparison.Ordinal)).ToList();
        Assert.Equal(12, files.Count);
        Assert.All(files, k => Assert.False(ta[k].AsSpan().SequenceEqual(tb[k]), k + " is the same"));
        Assert.Equal(ta["labels.csv"], tb["labels.csv"]); // labels depend only on the index
    }

    [Fact]
    public void Generate_LoadsAsIsic2018_WithoutProblems_RightCountsClassesAndSplits()
    {
        // When
        var ds = IsicDataset.Load(fixture.Root);

        // Then
        Assert.Empty(ds.Problems);
        Assert.True(ds.IsOfficialLayout);
        Assert.Equal(["benign", "malignant"], ds.Classes);
        Assert.Equal(SynthLesions.ClassNames, ds.Classes);
        Assert.Equal(SynthLesions.LabelsFile, ds.LabelSource);
        Assert.Equal(60, ds.Images.Count);
        Assert.Equal(60, ds.MasksFound);
        var train = ds.Split(IsicSplit.Training);
        var test = ds.Split(IsicSplit.Validation);
        Assert.Equal((42, 18), (train.Count, test.Count));
        Assert.Equal((60, 42, 18), (fixture.Summary.Images, fixture.Summary.TrainImages, fixture.Summary.TestImages));
        Assert.Empty(ds.Split(IsicSplit.Test));

        // Classes balanced in both splits, ids ISIC_0000001.., class = (id - 1) mod 2
        Assert.Equal([21, 21], train.GroupBy(i => i.ClassIndex).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal([9, 9], test.GroupBy(i => i.ClassIndex).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.All(ds.Images, i => Assert.Equal(SynthLesions.ClassOf(i.NumericId - 1), i.ClassIndex));
        Assert.All(ds.Images, i => Assert.Matches(@"^\d{7}$", i.Id));
        Assert.Equal(Enumerable.Range(1, 60), ds.Images.Select(i => i.NumericId).Order());
        Assert.All(ds.Images, i => Assert.Equal((64, 64), (i.Width, i.Height)));
    }

    [Fact]
    public void Generate_LoadSplit_GivesLesionRegionsAndLabels()
    {
        var ds = IsicDataset.Load(fixture.Root);

        var split = ds.LoadSplit(IsicSplit.Validation, 32);

        Assert.Equal(18, split.Count);
        Assert.Equal(2, split.ClassCount);
        Assert.Empty(split.Skipped);
        Assert.Equal(9, split.Labels.Count(l => l == 1));
        var regions = split.Regions[IsicDataset.LesionRegion];
        Assert.All(regions, r => Assert.True(r is not null && r.Mask.Values.Any(v => v > 0)));
    }

    [Fact]
    public void Masks_BinaryImageSizedNonEmpty_AndLesionInsideTheImage()
    {
        var ds = IsicDataset.Load(fixture.Root);
        foreach (var image in ds.Images)
        {
            var mask = IsicDataset.LoadBinaryMask(image.MaskPath); // throws unless only 0 and 255
            var rgb = ImageIO.LoadRgb(image.ImagePath);
            Assert.Equal((rgb.Width, rgb.Height), (mask.Width, mask.Height));
            var area = mask.CountNonZero();
            Assert.InRange(area, 0.04 * 64 * 64, 0.6 * 64 * 64);
            for (var k = 0; k < 64; k++)
            {
                // No lesion pixel on the two outermost rows and columns.
                foreach (var (x, y) in new[] { (k, 0), (k, 1), (k, 62), (k, 63), (0, k), (1, k), (62, k), (63, k) })
                {
                    Assert.True(mask[x, y] == 0, $"{Path.GetFileName(image.MaskPath)} touches the border at ({x}, {y})");
                }
            }
        }
    }

    [Fact]
    public void Masks_CoverTheDrawnLesion_DarkerInsideThanTheSkinAround()
    {
        // Given the decoded JPEGs (after hair, vignetting, noise and compression)
        var ds = IsicDataset.Load(fixture.Root);
        var contrasts = new List<double>();
        foreach (var image in ds.Images)
        {
            var rgb = ImageIO.LoadRgb(image.ImagePath);
            var mask = ImageIO.LoadMask(image.MaskPath);

            // When: mean brightness inside the mask vs a 3-pixel ring just outside it
            var inside = new List<double>();
            var ring = new List<double>();
            for (var y = 0; y < 64; y++)
            {
                for (var x = 0; x < 64; x++)
                {
                    var p = (y * 64) + x;
                    var v = (rgb.Pixels[p * 3] + rgb.Pixels[(p * 3) + 1] + rgb.Pixels[(p * 3) + 2]) / 3.0;
                    if (mask.Pixels[p] != 0)
                    {
                        inside.Add(v);
                    }
                    else if (NearMask(mask, x, y, 3))
                    {
                        ring.Add(v);
                    }
                }
            }

            contrasts.Add(ring.Average() - inside.Average());
        }

        // Then: every lesion is clearly darker than the skin right around its mask
        Assert.True(contrasts.Min() > 20, $"smallest ring-minus-inside contrast {contrasts.Min():F1}");
    }

    [Fact]
    public void Render_MaskIsTheLesionBeforeDistractors_SameForEitherClassOutsideTheLesion()
    {
        // Rendering the same image index as the other class changes only the lesion: the distractor draws are the
        // same and every pixel outside both masks is identical (hair, ruler, vignetting, noise included).
        var options = new SynthLesionsOptions(Count: 20, ImageSize: 64, Seed: 9);
        for (var i = 0; i < 20; i++)
        {
            var a = LesionRenderer.Render(options, i, classIndex: 0);
            var b = LesionRenderer.Render(options, i, classIndex: 1);
            Assert.Equal(a.Distractors, b.Distractors);
            var outside = 0;
            for (var p = 0; p < 64 * 64; p++)
            {
                if (a.Mask.Pixels[p] == 0 && b.Mask.Pixels[p] == 0)
                {
                    outside++;
                    Assert.True(
                        a.Image.Pixels.AsSpan(p * 3, 3).SequenceEqual(b.Image.Pixels.AsSpan(p * 3, 3)),
                        $"image {i}: pixel {p} outside the lesion depends on the class");
                }
            }

            Assert.True(outside > 64 * 64 / 3);
            Assert.Equal(SynthLesions.Render(options, i).Image.Pixels, (SynthLesions.ClassOf(i) == 0 ? a : b).Image.Pixels);
        }
    }

    [Fact]
    public void Render_HairOverTheLesion_LeavesNoHoleInTheMask()
    {
        // Hair is drawn after the mask: even where dark strands cross the lesion, the mask is one solid region
        // (one 4-connected component, and every outside pixel is connected to the image border).
        var options = new SynthLesionsOptions(Count: 80, ImageSize: 64, Seed: 2);
        var withHair = Enumerable.Range(0, 80).Select(i => SynthLesions.Render(options, i)).Where(s => s.Distractors.Hairs > 0).ToList();
        Assert.True(withHair.Count > 20);
        foreach (var s in withHair)
        {
            var area = s.Mask.CountNonZero();
            var first = Array.FindIndex(s.Mask.Pixels, p => p != 0);
            Assert.Equal(area, Flood(s.Mask, first % 64, first / 64, inside: true));
            var outside = (64 * 64) - area;
            Assert.True(outside == Flood(s.Mask, 0, 0, inside: false), $"image {s.Index}: the mask has a hole");
        }
    }

    /// <summary>Number of pixels 4-connected to (<paramref name="x0"/>, <paramref name="y0"/>) with the same in/out state.</summary>
    private static int Flood(GrayImage mask, int x0, int y0, bool inside)
    {
        var seen = new bool[mask.Pixels.Length];
        var stack = new Stack<(int X, int Y)>([(x0, y0)]);
        var count = 0;
        while (stack.Count > 0)
        {
            var (x, y) = stack.Pop();
            if (x < 0 || y < 0 || x >= mask.Width || y >= mask.Height || seen[(y * mask.Width) + x] || (mask[x, y] != 0) != inside)
            {
                continue;
            }

            seen[(y * mask.Width) + x] = true;
            count++;
            stack.Push((x + 1, y));
            stack.Push((x - 1, y));
            stack.Push((x, y + 1));
            stack.Push((x, y - 1));
        }

        return count;
    }

    [Fact]
    public void LabelsCsv_OneHotTask3Style_OneRowPerImage()
    {
        var lines = File.ReadAllLines(Path.Combine(fixture.Root, SynthLesions.LabelsFile));

        Assert.Equal("image,benign,malignant", lines[0]);
        Assert.Equal(61, lines.Length);
        Assert.Equal("ISIC_0000001,1.0,0.0", lines[1]);
        Assert.Equal("ISIC_0000002,0.0,1.0", lines[2]);
        Assert.Single(Directory.GetFiles(fixture.Root, "*.csv"));
    }

    [Fact]
    public void Marker_RecordsVersionAndOptions()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.Root, SynthLesions.MarkerFile)));
        var root = doc.RootElement;

        Assert.Equal(SynthLesions.GeneratorVersion, root.GetProperty("generatorVersion").GetInt32());
        var o = root.GetProperty("options");
        Assert.Equal(60, o.GetProperty("count").GetInt32());
        Assert.Equal(64, o.GetProperty("imageSize").GetInt32());
        Assert.Equal(0.3, o.GetProperty("testFraction").GetDouble());
        Assert.Equal(7, o.GetProperty("seed").GetInt64());
        Assert.Equal(["benign", "malignant"], root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public void Generate_ReportsProgressUpToCount()
    {
        var seen = new List<int>();

        SynthLesions.Generate(Path.Combine(TestPaths.TempDir(), "p"), Small with { Count = 10 }, new SyncProgress(seen));

        lock (seen)
        {
            Assert.Equal(Enumerable.Range(1, 10), seen.Order());
        }
    }

    [Fact]
    public void Generate_NonEmptyFolder_ThrowsNamingIt()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "x.txt"), "x");

        var e = Assert.Throws<ChorusException>(() => SynthLesions.Generate(dir, Small));

        Assert.Contains("not empty", e.Message);
        Assert.Contains(dir, e.Message);
    }

    [Theory]
    [InlineData(1, 64, 0.3, "Count")]
    [InlineData(10_000_000, 64, 0.3, "Count")]
    [InlineData(100, 31, 0.3, "ImageSize")]
    [InlineData(100, 513, 0.3, "ImageSize")]
    [InlineData(100, 64, 1.0, "TestFraction")]
    [InlineData(100, 64, -0.1, "TestFraction")]
    [InlineData(100, 64, double.NaN, "TestFraction")]
    public void Options_Invalid_FailValidation_NamingTheOption(int count, int size, double test, string name)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new SynthLesionsOptions(count, size, test).Validate());

        Assert.Equal(name, e.ParamName);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var o = new SynthLesionsOptions();
        o.Validate();
        Assert.Equal((1000, 64, 0.3, 0L), (o.Count, o.ImageSize, o.TestFraction, o.Seed));
    }

    [Fact]
    public void IsTrain_SplitIsExactPerClass_AndClassesBalanced()
    {
        var o = new SynthLesionsOptions(Count: 1000, TestFraction: 0.3);
        var test = Enumerable.Range(0, o.Count).Where(i => !SynthLesions.IsTrain(o, i)).ToList();

        Assert.Equal(300, test.Count);
        Assert.All(test.GroupBy(SynthLesions.ClassOf), g => Assert.Equal(150, g.Count()));
        Assert.Equal(500, Enumerable.Range(0, 1000).Count(i => SynthLesions.ClassOf(i) == 1));
    }

    private static bool NearMask(GrayImage mask, int x, int y, int radius)
    {
        for (var dy = -radius; dy <= radius; dy++)
        {
            for (var dx = -radius; dx <= radius; dx++)
            {
                if (mask.IsInside(x + dx, y + dy))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private sealed class SyncProgress(List<int> seen) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (seen)
            {
                seen.Add(value);
            }
        }
    }
}
