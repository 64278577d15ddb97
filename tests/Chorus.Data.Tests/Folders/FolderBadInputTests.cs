using Chorus.Data.Folders;
using SkiaSharp;

namespace Chorus.Data.Tests.Folders;

/// <summary>Every bad input of a folder dataset gives a problem naming the file (and the line for the CSV files).</summary>
public class FolderBadInputTests
{
    /// <summary>Name → (damage to the standard fixture, decode pixels?, the expected problem, exactly).</summary>
    private static readonly Dictionary<string, (Action<FolderFixture> Damage, bool Decode, string Expected)> Cases = new()
    {
        ["corrupt image"] = (f => File.WriteAllBytes(f.P("cat/b.jpg"), [1, 2, 3, 4, 5, 6, 7, 8]), false,
            "cat/b.jpg: not a decodable image (unknown format or corrupt header, 8 bytes)"),
        ["empty image"] = (f => File.WriteAllBytes(f.P("cat/c.png"), []), false, "cat/c.png: file is empty"),
        ["truncated png (pixels)"] = (f => Truncate(f.P("cat/c.png")), true, "cat/c.png: truncated image data"),
        ["mask of another size"] = (f => f.Mask("masks/cat/a.png", 20, 15, (_, _) => 255), false,
            "masks/cat/a.png: mask is 20×15 but its image cat/a.png is 40×30"),
        ["mask not binary (pixels)"] = (f => f.Mask("masks/cat/a.png", 40, 30, (x, _) => (byte)(x * 6)), true,
            "masks/cat/a.png: mask is not binary: value 6 at (1, 0); expected only 0/255 or only 0/1"),
        ["mask without image"] = (f => f.Mask("masks/dog/zzz.png", 40, 30, (_, _) => 0), false,
            "masks/dog/zzz.png: mask without image (expected dog/zzz.jpg|jpeg|png)"),
        ["mask of unknown class"] = (f => f.Mask("masks/cow/a.png", 40, 30, (_, _) => 0), false,
            "masks/cow/: mask folder of unknown class 'cow' (classes: cat, dog)"),
        ["mask not png"] = (f => f.Jpeg("masks/cat/b.jpg", 40, 30, SKColors.Black), false, "masks/cat/b.jpg: mask is not a .png file"),
        ["duplicate stem"] = (f => f.Png("cat/a.jpeg", 40, 30, SKColors.Red), false,
            "cat/a.png: duplicate image stem 'a' (also cat/a.jpeg): its mask masks/cat/a.png would be ambiguous"),
        ["empty class folder"] = (f => Directory.CreateDirectory(f.P("emu")), false, "emu/: class folder has no .jpg, .jpeg or .png images"),
        ["keypoint outside"] = (f => Append(f, "regions.csv", "cat/a.png,head,point,41,5"), false,
            "regions.csv:5: keypoint (41, 5) of 'head' is outside the 40×30 image cat/a.png"),
        ["negative keypoint"] = (f => Append(f, "regions.csv", "cat/a.png,head,point,3,-0.5"), false,
            "regions.csv:5: keypoint (3, -0.5) of 'head' is outside the 40×30 image cat/a.png"),
        ["box outside"] = (f => Append(f, "regions.csv", "dog/d.png,body,box,30,20,11,5"), false,
            "regions.csv:5: box (30, 20, 11, 5) of 'body' is outside the 40×30 image dog/d.png"),
        ["empty box"] = (f => Append(f, "regions.csv", "dog/d.png,body,box,3,2,0,5"), false,
            "regions.csv:5: box of 'body' has size 0×5; width and height must be positive"),
        ["region path escapes"] = (f => Append(f, "regions.csv", "../outside.png,head,point,1,1"), false,
            "regions.csv:5: image path '../outside.png' escapes the dataset root ('..' segment)"),
        ["region path absolute"] = (f => Append(f, "regions.csv", "/etc/passwd,head,point,1,1"), false,
            "regions.csv:5: image path '/etc/passwd' is absolute; paths must be relative to the dataset root"),
        ["region unknown image"] = (f => Append(f, "regions.csv", "cat/zzz.png,head,point,1,1"), false,
            "regions.csv:5: image 'cat/zzz.png' is not in the dataset (expected <class>/<file> relative to the root)"),
        ["region unknown kind"] = (f => Append(f, "regions.csv", "cat/a.png,head,circle,1,1"), false, "regions.csv:5: unknown kind 'circle': use point or box"),
        ["region bad number"] = (f => Append(f, "regions.csv", "cat/a.png,head,point,1,x"), false, "regions.csv:5: malformed y 'x': not a number"),
        ["region field count"] = (f => Append(f, "regions.csv", "cat/a.png,head,point"), false, "regions.csv:5: expected image,region,kind,x,y[,w,h], got 3 fields"),
        ["region box without size"] = (f => Append(f, "regions.csv", "cat/a.png,body,box,1,1"), false, "regions.csv:5: a box needs x,y,w,h"),
        ["region point with size"] = (f => Append(f, "regions.csv", "cat/a.png,head,point,1,1,2,2"), false, "regions.csv:5: a point has only x,y (got w,h too)"),
        ["region named mask"] = (f => Append(f, "regions.csv", "cat/a.png,mask,point,1,1"), false, "regions.csv:5: region name 'mask' is reserved for the masks of masks/"),
        ["split path escapes"] = (f => f.Text("split.csv", "cat/a.png,train", "../../x.png,test"), false,
            "split.csv:2: image path '../../x.png' escapes the dataset root ('..' segment)"),
        ["split duplicate row"] = (f => f.Text("split.csv", "cat/a.png,train", "cat/b.jpg,test", "cat/c.png,test", "dog/d.png,test", "dog/e.jpeg,train", "dog/f.png,train", "cat/a.png,test"), false,
            "split.csv:7: duplicate row for cat/a.png (first on line 1)"),
        ["split bad value"] = (f => f.Text("split.csv", "cat/a.png,train", "cat/b.jpg,val", "cat/c.png,test", "dog/d.png,test", "dog/e.jpeg,train", "dog/f.png,train"), false,
            "split.csv:2: split of cat/b.jpg must be train or test, got 'val'"),
        ["split missing row"] = (f => f.Text("split.csv", "cat/a.png,train", "cat/b.jpg,test", "dog/d.png,test", "dog/e.jpeg,train", "dog/f.png,train"), false,
            "split.csv: no row for image cat/c.png"),
        ["split field count"] = (f => f.Text("split.csv", "cat/a.png"), false, "split.csv:1: expected image,train|test, got 1 fields"),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Load_BadInput_ProblemNamesFileAndLine(string name)
    {
        // Given
        using var f = new FolderFixture();
        var (damage, decode, expected) = Cases[name];
        damage(f);

        // When
        var e = Assert.Throws<FolderFormatException>(() => FolderDataset.Load(f.Root, new FolderLoadOptions(CheckPixels: decode)));

        // Then
        Assert.Contains(e.Problems, p => p.ToString().StartsWith(expected, StringComparison.Ordinal));
        Assert.Contains(f.Root, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Load_NoClassFolders_Problem()
    {
        using var f = new FolderFixture(standard: false);
        var e = Assert.Throws<FolderFormatException>(() => FolderDataset.Load(f.Root));
        Assert.Equal(".: no class folders found (expected <class>/<image>.jpg|jpeg|png under the root)", Assert.Single(e.Problems).ToString());
    }

    [Fact]
    public void Load_MissingRoot_DirectoryNotFound()
    {
        using var f = new FolderFixture(standard: false);
        var e = Assert.Throws<DirectoryNotFoundException>(() => FolderDataset.Load(Path.Combine(f.Root, "nope")));
        Assert.Contains("nope", e.Message);
    }

    [Fact]
    public void Load_EscapingPath_IsNeverRead_EvenWhenTheFileExists()
    {
        // Given: a real image just outside the root, named by regions.csv and split.csv
        using var f = new FolderFixture();
        f.Png("../outside.png", 40, 30, SKColors.Red);
        Assert.True(File.Exists(f.P("../outside.png")));
        Append(f, "regions.csv", "../outside.png,head,point,1,1");

        // When
        var e = Assert.Throws<FolderFormatException>(() => FolderDataset.Load(f.Root));

        // Then: reported as escaping, not as a known or unknown image
        var problem = Assert.Single(e.Problems);
        Assert.Contains("escapes the dataset root", problem.Message);
    }

    [Fact]
    public void Load_SymlinkOutsideRoot_Problem()
    {
        using var f = new FolderFixture();
        var outside = f.Png("../elsewhere/x.png", 40, 30, SKColors.Red);
        File.CreateSymbolicLink(f.P("cat/link.png"), outside);

        var e = Assert.Throws<FolderFormatException>(() => FolderDataset.Load(f.Root));

        Assert.StartsWith("cat/link.png: path escaping the root: links to", Assert.Single(e.Problems).ToString());
    }

    [Fact]
    public void Load_Lenient_KeepsGoodImages_ListsEveryProblem()
    {
        // Given: a corrupt image, a mask of the wrong size, a keypoint outside
        using var f = new FolderFixture();
        File.WriteAllBytes(f.P("cat/b.jpg"), [1, 2, 3]);
        f.Mask("masks/dog/d.png", 4, 4, (_, _) => 0);
        Append(f, "regions.csv", "cat/c.png,head,point,99,1");

        // When
        var ds = FolderDataset.Load(f.Root, new FolderLoadOptions(Lenient: true));

        // Then
        Assert.Equal(3, ds.Problems.Count);
        Assert.Equal(["cat/a.png", "cat/c.png", "dog/e.jpeg", "dog/f.png"], ds.Images.Select(i => i.RelativePath));
        Assert.Equal([1, 3, 5, 6], ds.Images.Select(i => i.Id));
        Assert.Empty(ds.Images[1].Regions);
    }

    private static void Append(FolderFixture f, string rel, string line) => File.AppendAllLines(f.P(rel), [line]);

    private static void Truncate(string path)
    {
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
    }
}
