using Chorus.Data.Cub;
using Chorus.Data.Synthetic;

namespace Chorus.Data.Tests.Cub;

public class CubDatasetTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>
{
    [Fact]
    public void Load_SynthBirdsOutput_EveryFieldRight()
    {
        // When
        var ds = CubDataset.Load(fixture.Root);

        // Then
        var options = SynthBirdsFixture.Options;
        var table = SynthBirdsSpecies.Table(options.Species);
        Assert.Equal(options.Count, ds.Images.Count);
        Assert.Equal(table.Select(s => $"{s.Index + 1:D3}.{s.Name}"), ds.Classes.Select(c => c.Name));
        Assert.Equal(Enumerable.Range(0, options.Species), ds.Classes.Select(c => c.Index));
        Assert.Equal(15, ds.Parts.Count);
        Assert.Equal("left_wing", ds.Parts[CubParts.LeftWing - 1].Slug);
        Assert.True(ds.HasSegmentations);
        Assert.True(ds.HasPartMasks);
        for (var i = 0; i < options.Count; i++)
        {
            var s = SynthBirds.Render(options, i);
            var image = ds.Images[i];
            Assert.Equal(i + 1, image.Id);
            Assert.Equal(SynthBirds.RelativePath(s.Species, i), image.RelativePath);
            Assert.Equal(Path.Combine(fixture.Root, "images", image.RelativePath), image.FullPath);
            Assert.Equal(s.Species.Index, image.ClassIndex);
            Assert.Equal(s.Species.Index + 1, image.ClassId);
            Assert.Equal(ds.Classes[image.ClassIndex].Name, image.ClassName);
            Assert.Equal(SynthBirds.IsTrain(options, i), image.IsTrain);
            Assert.Equal(s.Box, image.Box);
            Assert.Equal(15, image.Parts.Count);
            for (var p = 1; p <= 15; p++)
            {
                var expected = s.Parts[p - 1];
                var actual = image.Parts[p];
                Assert.Equal(expected.Visible, actual.Visible);
                Assert.Equal(expected.X, actual.X, 0.0002f);
                Assert.Equal(expected.Y, actual.Y, 0.0002f);
            }

            Assert.NotNull(ds.PartMaskPath(image, CubParts.Beak));
            Assert.NotNull(ds.SegmentationPath(image));
        }

        Assert.Equal(ds.Images.Count(i => i.IsTrain), ds.Split(CubSplit.Train).Count);
        Assert.Equal(fixture.Summary.TestImages, ds.Split(CubSplit.Test).Count);
    }

    [Fact]
    public void Load_RealCubStyleJpegFolder_ReadsWithoutPartsOrBoxes()
    {
        // Given: the official text files (CUB's exact line formats), JPEG images, no boxes, no parts
        var root = TestPaths.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "images", "001.Black_footed_Albatross"));
        var jpeg = Path.Combine(root, "images", "001.Black_footed_Albatross", "Black_Footed_Albatross_0046_18.jpg");
        using (var bmp = new SkiaSharp.SKBitmap(20, 10))
        {
            bmp.Erase(SkiaSharp.SKColors.Gray);
            File.WriteAllBytes(jpeg, bmp.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90).ToArray());
        }

        File.WriteAllText(Path.Combine(root, "images.txt"), "1 001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg\n");
        File.WriteAllText(Path.Combine(root, "classes.txt"), "1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n");
        File.WriteAllText(Path.Combine(root, "image_class_labels.txt"), "1 1\n");
        File.WriteAllText(Path.Combine(root, "train_test_split.txt"), "1 0\n");

        // When
        var ds = CubDataset.Load(root);

        // Then
        var image = Assert.Single(ds.Images);
        Assert.Equal((0, 1, "001.Black_footed_Albatross", false), (image.ClassIndex, image.ClassId, image.ClassName, image.IsTrain));
        Assert.Null(image.Box);
        Assert.Empty(image.Parts);
        Assert.Empty(ds.Parts);
        Assert.Equal(2, ds.Classes.Count);
        var split = ds.LoadSplit(CubSplit.All, 8);
        Assert.Equal(3 * 8 * 8, split.Pixels.Length);
    }

    public static TheoryData<string, string, string, string> BadInputs => new()
    {
        // file to edit, find, replace with, expected "file:line: message" fragment
        { "images.txt", "\n2 ", "\n1 ", "images.txt:2: duplicate image id 1 (first on line 1)" },
        { "classes.txt", "\n3 ", "\n2 ", "classes.txt:3: duplicate class id 2 (first on line 2)" },
        { "classes.txt", "\n8 ", "\n9 ", "image_class_labels.txt:8: image 8: class id 8 has no name in classes.txt" },
        { "images.txt", "\n3 ", "\n3 ../", "images.txt:3: image 3: path '../" },
        { "images.txt", "\n4 ", "\n4 /etc/", "images.txt:4: image 4: path '/etc/" },
        { "bounding_boxes.txt", "\n5 ", "\nx5 ", "bounding_boxes.txt:5: malformed image id 'x5'" },
        { "train_test_split.txt", "\n6 1", "\n6 1 1", "train_test_split.txt:6: malformed line '6 1 1': expected 2 fields, got 3" },
        { "train_test_split.txt", "\n6 1", "\n6 2", "train_test_split.txt:6: image 6: train flag must be 0 or 1, got 2" },
        { "image_class_labels.txt", "\n9 ", "\n99 ", "image_class_labels.txt:9: image id 99 is not in images.txt" },
        { "parts/part_locs.txt", "\n1 3 ", "\n1 2 ", "parts/part_locs.txt:3: duplicate entry for image 1, part 2" },
        { "parts/part_locs.txt", "\n2 1 ", "\n2 99 ", "parts/part_locs.txt:16: image 2: part id 99 is not in parts/parts.txt" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Load_BadInput_ReportsFileAndLine(string file, string find, string replace, string expected)
    {
        // Given
        var root = fixture.Copy();
        var path = Path.Combine(root, file);
        var text = File.ReadAllText(path);
        Assert.Contains(find, text);
        File.WriteAllText(path, ReplaceFirst(text, find, replace));

        // When
        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root));

        // Then
        Assert.Contains(expected, e.Message);
        Assert.Contains(e.Problems, p => p.ToString().StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_MissingImageFile_ReportsPathAndLine()
    {
        var root = fixture.Copy();
        var ds = CubDataset.Load(root);
        File.Delete(ds.Images[11].FullPath);

        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root));

        var problem = Assert.Single(e.Problems);
        Assert.Equal(("images.txt", 12), (problem.File, problem.Line));
        Assert.Contains($"image 12: file 'images/{ds.Images[11].RelativePath}' does not exist", e.Message);
        Assert.Contains(root, e.Message);
        CubDataset.Load(root, new CubLoadOptions(CheckFiles: false));
    }

    [Fact]
    public void Load_MissingRequiredFile_Reported()
    {
        var root = fixture.Copy();
        File.Delete(Path.Combine(root, "classes.txt"));

        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root));

        Assert.Contains("classes.txt: file is missing", e.Message);
    }

    [Fact]
    public void Load_ImageWithoutLabel_Reported()
    {
        var root = fixture.Copy();
        var path = Path.Combine(root, "image_class_labels.txt");
        File.WriteAllLines(path, File.ReadAllLines(path).Where(l => !l.StartsWith("17 ", StringComparison.Ordinal)));

        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(root));

        Assert.Contains("image_class_labels.txt: no class for image 17 (images.txt line 17)", e.Message);
    }

    private static string ReplaceFirst(string text, string find, string replace)
    {
        var i = text.IndexOf(find, StringComparison.Ordinal);
        return text[..i] + replace + text[(i + find.Length)..];
    }
}
