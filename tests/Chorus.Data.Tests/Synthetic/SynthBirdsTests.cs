using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using Chorus.Data.Synthetic;

namespace Chorus.Data.Tests.Synthetic;

public class SynthBirdsTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>
{
    private static readonly SynthBirdsOptions Small = new(Species: 8, ImageSize: 32, Count: 40, Seed: 3);

    private static Dictionary<string, byte[]> ReadTree(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllBytes);

    [Fact]
    public void Generate_SameSeed_ByteIdenticalFolder_WhateverTheParallelism()
    {
        // Given / When
        var a = Path.Combine(TestPaths.TempDir(), "a");
        var b = Path.Combine(TestPaths.TempDir(), "b");
        SynthBirds.Generate(a, Small, maxDegreeOfParallelism: 1);
        SynthBirds.Generate(b, Small, maxDegreeOfParallelism: 4);

        // Then
        var ta = ReadTree(a);
        var tb = ReadTree(b);
        Assert.Equal(ta.Keys.Order(), tb.Keys.Order());
        Assert.All(ta, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(tb[kv.Key]), kv.Key + " differs"));
        Assert.DoesNotContain(ta.Keys, k => k.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.True(ta.Count > 40 * 5);
    }

    [Fact]
    public void Generate_DifferentSeed_DifferentImages()
    {
        var a = Path.Combine(TestPaths.TempDir(), "a");
        var b = Path.Combine(TestPaths.TempDir(), "b");
        SynthBirds.Generate(a, Small with { Count = 8 });
        SynthBirds.Generate(b, Small with { Count = 8, Seed = 4 });

        var ta = ReadTree(a);
        var tb = ReadTree(b);
        var images = ta.Keys.Where(k => k.StartsWith("images/", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, images.Count);
        Assert.All(images, k => Assert.False(ta[k].AsSpan().SequenceEqual(tb[k]), k + " is the same"));
        Assert.NotEqual(ta["bounding_boxes.txt"], tb["bounding_boxes.txt"]);
    }

    [Fact]
    public void Generate_ReportsProgressUpToCount()
    {
        var seen = new List<int>();
        var progress = new SyncProgress(seen);

        SynthBirds.Generate(Path.Combine(TestPaths.TempDir(), "p"), Small with { Count = 10 }, progress);

        lock (seen)
        {
            Assert.Equal(Enumerable.Range(1, 10), seen.Order());
        }
    }

    [Fact]
    public void Generate_NonEmptyFolder_Throws()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "x.txt"), "x");

        var e = Assert.Throws<IOException>(() => SynthBirds.Generate(dir, Small));

        Assert.Contains("not empty", e.Message);
    }

    [Theory]
    [InlineData(0, 64, 100, 0.3)]
    [InlineData(67, 64, 100, 0.3)]
    [InlineData(8, 31, 100, 0.3)]
    [InlineData(8, 225, 100, 0.3)]
    [InlineData(8, 64, 7, 0.3)]
    [InlineData(8, 64, 100, 1.0)]
    [InlineData(8, 64, 100, -0.1)]
    public void Options_Invalid_FailValidation(int species, int size, int count, double test)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SynthBirdsOptions(species, size, count, test).Validate());
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var o = new SynthBirdsOptions();
        o.Validate();
        Assert.Equal((8, 64, 2000, 0.3, 0L), (o.Species, o.ImageSize, o.Count, o.TestFraction, o.Seed));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(20)]
    [InlineData(41)]
    [InlineData(66)]
    public void SpeciesTable_NeitherBeakNorWingAloneIdentifiesASpecies(int n)
    {
        // Given
        var table = SynthBirdsSpecies.Table(n);

        // Then: all distinct, and every beak type occurs with ≥ 2 wing types and vice versa
        Assert.Equal(n, table.Count);
        Assert.Equal(n, table.Select(s => (s.Beak, s.Wing)).Distinct().Count());
        Assert.Equal(n, table.Select(s => s.Name).Distinct().Count());
        Assert.All(table.GroupBy(s => s.Beak), g => Assert.True(g.Select(s => s.Wing).Distinct().Count() >= 2, $"beak {g.Key} has one wing"));
        Assert.All(table.GroupBy(s => s.Wing), g => Assert.True(g.Select(s => s.Beak).Distinct().Count() >= 2, $"wing {g.Key} has one beak"));
        Assert.Equal(Enumerable.Range(0, n), table.Select(s => s.Index));
    }

    [Fact]
    public void SpeciesTable_Default_BeaksDifferInShapeAndColour_WingsInPatternAndColour()
    {
        var table = SynthBirdsSpecies.Table(8);
        var beaks = table.Select(s => s.Beak).Distinct().ToList();
        var wings = table.Select(s => s.Wing).Distinct().ToList();

        Assert.Equal(4, beaks.Count);
        Assert.Equal(4, beaks.Select(b => b.Shape).Distinct().Count());
        Assert.Equal(4, beaks.Select(b => b.Colour).Distinct().Count());
        Assert.Equal(4, wings.Select(w => w.Pattern).Distinct().Count());
        Assert.Equal(4, wings.Select(w => w.Colour).Distinct().Count());
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(128)]
    public void Render_MasksBinaryAndImageSized_BeakKeypointInsideBeak_BeakHasSpeciesColour(int size)
    {
        var options = new SynthBirdsOptions(ImageSize: size, Seed: 11);
        for (var i = 0; i < 24; i++)
        {
            // When
            var s = SynthBirds.Render(options, i);
            var beak = s.Mask(BirdLabel.Beak);

            // Then: mask geometry
            Assert.Equal((size, size), (beak.Width, beak.Height));
            Assert.True(beak.Pixels.All(p => p is 0 or 255));
            var minBeak = size >= 64 ? 8 : 1; // the thin beak is ~9 px at 64 px, fewer at the 32 px minimum
            Assert.True(beak.CountNonZero() >= minBeak, $"image {i}: beak has {beak.CountNonZero()} px");
            var kp = s.Parts[CubParts.Beak - 1];
            Assert.True(kp.Visible);
            Assert.True(beak.IsInside((int)kp.X, (int)kp.Y), $"image {i}: beak keypoint ({kp.X},{kp.Y}) outside the beak");

            // Then: every beak pixel is the species' beak colour under this image's lighting, up to the ±5 noise
            var c = s.Species.Beak.Colour;
            var expected = new[] { c.R, c.G, c.B }.Select(v => Math.Clamp(BirdRenderer.Lit(v, s.Contrast, s.Brightness), 0, 255)).ToArray();
            for (var p = 0; p < beak.Pixels.Length; p++)
            {
                if (beak.Pixels[p] != 0)
                {
                    for (var ch = 0; ch < 3; ch++)
                    {
                        Assert.InRange(s.Image.Pixels[(p * 3) + ch], expected[ch] - 6.5, expected[ch] + 6.5);
                    }
                }
            }
        }
    }

    [Fact]
    public void Render_OneWingVisible_MatchingPose_WithPatternPixels()
    {
        var options = new SynthBirdsOptions(ImageSize: 64, Seed: 5);
        var poses = new HashSet<bool>();
        for (var i = 0; i < 16; i++)
        {
            var s = SynthBirds.Render(options, i);
            poses.Add(s.FacingLeft);
            var left = s.Parts[CubParts.LeftWing - 1];
            var right = s.Parts[CubParts.RightWing - 1];
            Assert.True(left.Visible != right.Visible);
            Assert.Equal(s.FacingLeft, left.Visible);
            var wing = s.Mask(BirdLabel.Wing);
            Assert.True(wing.CountNonZero() >= 60, $"image {i}: wing has {wing.CountNonZero()} px");
            if (s.Species.Wing.Pattern != WingPattern.Plain)
            {
                // the pattern colour shows on the wing: at least 8 wing pixels closer to it than to the base colour
                var lit = (NamedColour c) => new[] { c.R, c.G, c.B }.Select(v => BirdRenderer.Lit(v, s.Contrast, s.Brightness)).ToArray();
                var baseC = lit(s.Species.Wing.Colour);
                var patC = lit(s.Species.Wing.PatternColour);
                var n = 0;
                for (var p = 0; p < wing.Pixels.Length; p++)
                {
                    if (wing.Pixels[p] != 0)
                    {
                        double db = 0, dp = 0;
                        for (var ch = 0; ch < 3; ch++)
                        {
                            var v = s.Image.Pixels[(p * 3) + ch];
                            db += Math.Abs(v - baseC[ch]);
                            dp += Math.Abs(v - patC[ch]);
                        }

                        n += dp < db ? 1 : 0;
                    }
                }

                Assert.True(n >= 8, $"image {i}: only {n} pattern pixels on a {s.Species.Wing.Pattern} wing");
            }
        }

        Assert.Equal(2, poses.Count);
    }

    [Fact]
    public void Generate_WritesCubLayout_MasksOnlyForVisibleParts()
    {
        var root = fixture.Root;
        foreach (var f in new[] { "images.txt", "classes.txt", "image_class_labels.txt", "train_test_split.txt", "bounding_boxes.txt", "parts/parts.txt", "parts/part_locs.txt", "synthbirds.json" })
        {
            Assert.True(File.Exists(Path.Combine(root, f)), f);
        }

        Assert.Equal(
            "1 back\n2 beak\n3 belly\n4 breast\n5 crown\n6 forehead\n7 left eye\n8 left leg\n9 left wing\n10 nape\n11 right eye\n12 right leg\n13 right wing\n14 tail\n15 throat\n",
            File.ReadAllText(Path.Combine(root, "parts", "parts.txt")));
        var options = SynthBirdsFixture.Options;
        for (var i = 0; i < options.Count; i++)
        {
            var s = SynthBirds.Render(options, i);
            var rel = SynthBirds.RelativePath(s.Species, i);
            Assert.True(File.Exists(Path.Combine(root, "images", rel)));
            Assert.True(File.Exists(Path.Combine(root, "segmentations", rel)));
            var hidden = s.FacingLeft ? "right_wing" : "left_wing";
            var shown = s.FacingLeft ? "left_wing" : "right_wing";
            Assert.False(File.Exists(Path.Combine(root, "part_masks", hidden, rel)));
            var mask = ImageIO.LoadMask(Path.Combine(root, "part_masks", shown, rel));
            Assert.Equal(s.Mask(BirdLabel.Wing).Pixels, mask.Pixels);
            Assert.Equal(ImageIO.EncodePng(s.Image), File.ReadAllBytes(Path.Combine(root, "images", rel)));
        }

        var json = File.ReadAllText(Path.Combine(root, "synthbirds.json"));
        Assert.Contains("\"generatorVersion\": 1", json);
        Assert.Contains("\"seed\": 7", json);
    }

    [Fact]
    public void IsTrain_SplitIsExactPerSpecies()
    {
        var o = new SynthBirdsOptions(Species: 8, Count: 2000, TestFraction: 0.3);
        var test = Enumerable.Range(0, o.Count).Where(i => !SynthBirds.IsTrain(o, i)).ToList();

        Assert.Equal(600, test.Count);
        Assert.All(test.GroupBy(i => i % 8), g => Assert.Equal(75, g.Count()));
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
