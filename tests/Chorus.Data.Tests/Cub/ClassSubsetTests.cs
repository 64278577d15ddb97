using Chorus.Data.Cub;

namespace Chorus.Data.Tests.Cub;

public class ClassSubsetTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>
{
    [Theory]
    [InlineData("1-66", 66, 1, 66)]
    [InlineData("1,5,9-12", 6, 1, 12)]
    [InlineData(" 3 , 2-4 ,3", 3, 2, 4)]
    [InlineData("7", 1, 7, 7)]
    public void Parse_IdsAndRanges(string text, int count, int min, int max)
    {
        var ids = ClassSelection.Parse(text);

        Assert.Equal(count, ids.Count);
        Assert.Equal(min, ids.Min());
        Assert.Equal(max, ids.Max());
    }

    [Fact]
    public void Parse_ListAndRange_ExactSet()
    {
        Assert.Equal([1, 5, 9, 10, 11, 12], ClassSelection.Parse("1,5,9-12").Order());
    }

    [Theory]
    [InlineData("", "Empty class selection")]
    [InlineData("abc", "'abc' is not a class id")]
    [InlineData("0", "'0' is not a class id")]
    [InlineData("-3", "'-3' is not a class id")]
    [InlineData("1-", "'' is not a class id")]
    [InlineData("1,,2", "'' is not a class id")]
    [InlineData("5-2", "range '5-2' ends before it starts")]
    [InlineData("1.5", "'1.5' is not a class id")]
    public void Parse_BadText_ClearError(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ClassSelection.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("1-66")]
    [InlineData("1,5,9-12")]
    [InlineData("2,4,6")]
    public void Format_RoundTrips(string text)
    {
        Assert.Equal(text, ClassSelection.Format(ClassSelection.Parse(text)));
    }

    [Fact]
    public void Load_Classes_KeepsOnlyThoseImages_RenumbersLabelsDensely()
    {
        // When
        var all = CubDataset.Load(fixture.Root);
        var ds = CubDataset.Load(fixture.Root, new CubLoadOptions(Classes: ClassSelection.Parse("2,5")));

        // Then: classes 2 and 5 keep ids and names, get labels 0 and 1
        Assert.Equal([(0, 2), (1, 5)], ds.Classes.Select(c => (c.Index, c.Id)));
        Assert.Equal([all.Classes[1].Name, all.Classes[4].Name], ds.Classes.Select(c => c.Name));
        var expected = all.Images.Where(i => i.ClassId is 2 or 5).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(i => i.Id), ds.Images.Select(i => i.Id));
        Assert.Equal(expected.Select(i => i.ClassId == 2 ? 0 : 1), ds.Images.Select(i => i.ClassIndex));
        Assert.Equal(expected.Select(i => i.ClassName), ds.Images.Select(i => i.ClassName));
        Assert.Equal(expected.Select(i => i.RelativePath), ds.Images.Select(i => i.RelativePath));

        var split = ds.LoadSplit(CubSplit.All, 8);
        Assert.Equal(2, split.ClassCount);
        Assert.Equal(ds.Images.Select(i => i.ClassIndex), split.Labels);
        Assert.Equal(ds.Images.Select(i => i.Id), split.ImageIds);
    }

    [Fact]
    public void Load_ClassIdNotInDataset_ProblemNamesClassesTxt()
    {
        var e = Assert.Throws<CubFormatException>(() => CubDataset.Load(fixture.Root, new CubLoadOptions(Classes: ClassSelection.Parse("3,9-10"))));

        Assert.Equal("classes.txt: selected class ids 9-10 not in this file (its ids: 1-8)", Assert.Single(e.Problems).ToString());
    }

    [Fact]
    public void Load_EmptySelection_Throws()
    {
        Assert.Throws<ArgumentException>(() => CubDataset.Load(fixture.Root, new CubLoadOptions(Classes: new HashSet<int>())));
    }
}
