using Chorus.Data.Isic;

namespace Chorus.Data.Tests.Isic;

public sealed class IsicDatasetTests : IDisposable
{
    private const string OneHotHeader = "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC";
    private readonly IsicFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Load_OfficialLayout_EveryFieldRight()
    {
        // Given
        _f.Pair(IsicSplit.Training, "0000001", 12, 8);
        _f.Pair(IsicSplit.Training, "0000000", 10, 6);
        _f.Pair(IsicSplit.Validation, "0000010");
        _f.Pair(IsicSplit.Test, "0000020");
        File.WriteAllText(Path.Combine(_f.Root, IsicFixture.InputDir(IsicSplit.Training), "ATTRIBUTION.txt"), "x");
        _f.Csv(
            "labels.csv",
            OneHotHeader,
            "ISIC_0000000,1.0,0.0,0.0,0.0,0.0,0.0,0.0",
            "ISIC_0000001,0.0,0.0,1.0,0.0,0.0,0.0,0.0",
            "ISIC_0000010,0.0,1.0,0.0,0.0,0.0,0.0,0.0",
            "ISIC_0000020,0.0,0.0,0.0,0.0,0.0,0.0,1.0");

        // When
        var ds = IsicDataset.Load(_f.Root);

        // Then
        Assert.True(ds.IsOfficialLayout);
        Assert.Equal("labels.csv", ds.LabelSource);
        Assert.Equal(["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"], ds.Classes);
        Assert.Empty(ds.Problems);
        Assert.Equal(4, ds.MasksFound);
        Assert.Equal(["0000000", "0000001", "0000010", "0000020"], ds.Images.Select(i => i.Id));
        Assert.Equal([0, 1, 10, 20], ds.Images.Select(i => i.NumericId));
        Assert.Equal([IsicSplit.Training, IsicSplit.Training, IsicSplit.Validation, IsicSplit.Test], ds.Images.Select(i => i.Split));
        Assert.Equal([0, 2, 1, 6], ds.Images.Select(i => i.ClassIndex));
        var first = ds.Images[0];
        Assert.Equal((10, 6), (first.Width, first.Height));
        Assert.Equal(Path.Combine(_f.Root, IsicFixture.InputDir(IsicSplit.Training), "ISIC_0000000.jpg"), first.ImagePath);
        Assert.Equal(Path.Combine(_f.Root, IsicFixture.TruthDir(IsicSplit.Training), "ISIC_0000000_segmentation.png"), first.MaskPath);
        Assert.Equal(2, ds.Split(IsicSplit.Training).Count);
        Assert.Single(ds.Split(IsicSplit.Validation));
        Assert.Single(ds.Split(IsicSplit.Test));
    }

    [Fact]
    public void Load_FlatLayoutWithTwoColumnLabels_EveryFieldRight()
    {
        // Given
        _f.FlatPair("0000003", 9, 7);
        _f.FlatPair("0000004");
        _f.Csv("gt.csv", "image,label", "ISIC_0000004.jpg,nevus", "ISIC_0000003,melanoma");

        // When
        var ds = IsicDataset.Load(_f.Root);

        // Then
        Assert.False(ds.IsOfficialLayout);
        Assert.Equal("gt.csv", ds.LabelSource);
        Assert.Equal(["melanoma", "nevus"], ds.Classes);
        Assert.Equal(["0000003", "0000004"], ds.Images.Select(i => i.Id));
        Assert.All(ds.Images, i => Assert.Equal(IsicSplit.Training, i.Split));
        Assert.Equal([0, 1], ds.Images.Select(i => i.ClassIndex));
        Assert.Equal((9, 7), (ds.Images[0].Width, ds.Images[0].Height));
        Assert.Equal(Path.Combine(_f.Root, "ISIC_0000003_segmentation.png"), ds.Images[0].MaskPath);
    }

    [Fact]
    public void Load_NoCsv_NoLabels()
    {
        _f.FlatPair("0000003");
        var ds = IsicDataset.Load(_f.Root);
        Assert.Null(ds.LabelSource);
        Assert.Empty(ds.Classes);
        Assert.Equal(-1, ds.Images[0].ClassIndex);
    }

    [Fact]
    public void Load_LabelsOption_UsedInsteadOfSearch()
    {
        _f.FlatPair("0000003");
        Directory.CreateDirectory(Path.Combine(_f.Root, "meta"));
        File.WriteAllLines(Path.Combine(_f.Root, "meta", "l.csv"), ["image,label", "ISIC_0000003,a"]);
        var ds = IsicDataset.Load(_f.Root, new IsicLoadOptions(LabelsCsv: "meta/l.csv"));
        Assert.Equal("meta/l.csv", ds.LabelSource);
        Assert.Equal(0, ds.Images[0].ClassIndex);
    }

    [Fact]
    public void Load_ImageWithoutMask_ProblemNamesImage()
    {
        _f.Pair(IsicSplit.Training, "0000001");
        _f.Image(IsicFixture.InputDir(IsicSplit.Training), "0000002");
        var p = Single(IsicFixture.InputDir(IsicSplit.Training) + "/ISIC_0000002.jpg", 0);
        Assert.Contains("image without mask", p.Message);
    }

    [Fact]
    public void Load_MaskWithoutImage_ProblemNamesMask()
    {
        _f.FlatPair("0000001");
        _f.Mask(string.Empty, "0000002");
        var p = Single("ISIC_0000002_segmentation.png", 0);
        Assert.Contains("mask without image", p.Message);
    }

    [Fact]
    public void Load_MaskOfDifferentSize_ProblemNamesMask()
    {
        _f.Image(string.Empty, "0000001", 12, 8);
        _f.Mask(string.Empty, "0000001", 8, 8);
        var p = Single("ISIC_0000001_segmentation.png", 0);
        Assert.Contains("8×8", p.Message);
        Assert.Contains("12×8", p.Message);
    }

    [Fact]
    public void Load_DuplicateIdAcrossSplits_ProblemNamesSecondImage()
    {
        _f.Pair(IsicSplit.Training, "0000001");
        _f.Pair(IsicSplit.Validation, "0000001");
        var p = Single(IsicFixture.InputDir(IsicSplit.Validation) + "/ISIC_0000001.jpg", 0);
        Assert.Contains("duplicate id", p.Message);
    }

    [Fact]
    public void Load_LabelRowForMissingImage_ProblemNamesFileAndLine()
    {
        _f.FlatPair("0000001");
        _f.Csv("labels.csv", "image,label", "ISIC_0000001,a", "ISIC_0000009,b");
        var p = Single("labels.csv", 3);
        Assert.Contains("ISIC_0000009", p.Message);
    }

    [Fact]
    public void Load_ImageWithoutLabel_ProblemNamesImage()
    {
        _f.FlatPair("0000001");
        _f.FlatPair("0000002");
        _f.Csv("labels.csv", "image,label", "ISIC_0000001,a");
        var p = Single("ISIC_0000002.jpg", 0);
        Assert.Contains("no label in labels.csv", p.Message);
    }

    [Theory]
    [InlineData("ISIC_0000001,1.0,1.0,0.0,0.0,0.0,0.0,0.0", "exactly one 1.0")]
    [InlineData("ISIC_0000001,0.0,0.0,0.0,0.0,0.0,0.0,0.0", "exactly one 1.0")]
    [InlineData("ISIC_0000001,0.5,0.5,0.0,0.0,0.0,0.0,0.0", "expected 0.0 or 1.0")]
    [InlineData("ISIC_0000001,1.0,0.0", "expected 8 fields")]
    public void Load_BadOneHotRow_ProblemNamesFileAndLine(string row, string expected)
    {
        _f.FlatPair("0000001");
        _f.Csv("labels.csv", OneHotHeader, row);
        var p = Single("labels.csv", 2);
        Assert.Contains(expected, p.Message);
    }

    [Fact]
    public void Load_DuplicateLabelRow_ProblemNamesLine()
    {
        _f.FlatPair("0000001");
        _f.Csv("labels.csv", "image,label", "ISIC_0000001,a", "ISIC_0000001,b");
        var p = Single("labels.csv", 3);
        Assert.Contains("first on line 2", p.Message);
    }

    [Theory]
    [InlineData("../ISIC_0000001")]
    [InlineData("sub/ISIC_0000001")]
    public void Load_LabelPathEscapingRoot_ProblemNamesLine(string name)
    {
        _f.FlatPair("0000001");
        _f.Csv("labels.csv", "image,label", "ISIC_0000001,a", $"{name},b");
        var p = Single("labels.csv", 3);
        Assert.Contains("escaping the root", p.Message);
    }

    [Fact]
    public void Load_ImageSymlinkOutsideRoot_ProblemNamesFile()
    {
        // Given: the image is a link to a file outside the dataset folder
        using var outside = new IsicFixture();
        var target = outside.Image(string.Empty, "0000001");
        _f.Mask(string.Empty, "0000001");
        File.CreateSymbolicLink(Path.Combine(_f.Root, "ISIC_0000001.jpg"), target);

        // When/Then: the link is refused, so its mask has no image
        var e = Assert.Throws<IsicFormatException>(() => IsicDataset.Load(_f.Root));
        Assert.Contains(e.Problems, p => p.File == "ISIC_0000001.jpg" && p.Message.Contains("escaping the root"));
    }

    [Fact]
    public void Load_SeveralProblems_ThrownTogether_OrKeptWhenLenient()
    {
        // Given
        _f.FlatPair("0000001");
        _f.Image(string.Empty, "0000002");
        _f.Mask(string.Empty, "0000003");

        // When
        var e = Assert.Throws<IsicFormatException>(() => IsicDataset.Load(_f.Root));
        var ds = IsicDataset.Load(_f.Root, new IsicLoadOptions(Lenient: true));

        // Then
        Assert.Equal(2, e.Problems.Count);
        Assert.Contains("ISIC_0000002.jpg", e.Message);
        Assert.Contains("ISIC_0000003_segmentation.png", e.Message);
        Assert.Equal(2, ds.Problems.Count);
        Assert.Equal(["0000001"], ds.Images.Select(i => i.Id));
    }

    [Fact]
    public void Load_MaskOfDifferentSizeAndBadLabelRow_BothReported()
    {
        _f.Image(string.Empty, "0000001", 12, 8);
        _f.Mask(string.Empty, "0000001", 8, 8);
        _f.Csv("labels.csv", OneHotHeader, "ISIC_0000001,1.0,1.0,0.0,0.0,0.0,0.0,0.0");
        var e = Assert.Throws<IsicFormatException>(() => IsicDataset.Load(_f.Root));
        Assert.Equal(["labels.csv:2", "ISIC_0000001_segmentation.png:0"], e.Problems.Select(p => $"{p.File}:{p.Line}"));
    }

    [Fact]
    public void Load_SeveralCsvAtRoot_Problem()
    {
        _f.FlatPair("0000001");
        _f.Csv("a.csv", "image,label", "ISIC_0000001,x");
        _f.Csv("b.csv", "image,label", "ISIC_0000001,x");
        var p = Single(".", 0);
        Assert.Contains("2 CSV files", p.Message);
    }

    [Fact]
    public void Load_EmptyFolder_Problem()
    {
        var p = Single(".", 0);
        Assert.Contains("no ISIC_<id>.jpg images", p.Message);
    }

    [Fact]
    public void Load_MissingRoot_DirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => IsicDataset.Load(Path.Combine(_f.Root, "nope")));
    }

    private IsicProblem Single(string file, int line)
    {
        var e = Assert.Throws<IsicFormatException>(() => IsicDataset.Load(_f.Root));
        var p = Assert.Single(e.Problems);
        Assert.Equal(file, p.File);
        Assert.Equal(line, p.Line);
        Assert.Contains(line > 0 ? $"{file}:{line}:" : $"{file}:", e.Message);
        return p;
    }
}
