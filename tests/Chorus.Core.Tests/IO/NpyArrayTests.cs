using Chorus.IO;

namespace Chorus.Core.Tests.IO;

public class NpyArrayTests
{
    private static string Golden(string file) => TestPaths.Golden("tinycnn", file);

    [Fact]
    public void Load_GoldenInput_HasManifestShape()
    {
        var input = NpyArray.Load(Golden("input.npy"));
        Assert.Equal(NpyDType.Float32, input.DType);
        Assert.Equal(new long[] { 4, 3, 32, 32 }, input.Shape);
        Assert.Equal(4 * 3 * 32 * 32, input.Floats.Length);
        var target = NpyArray.Load(Golden("target.npy"));
        Assert.Equal(NpyDType.Int64, target.DType);
        Assert.Equal(new long[] { 4 }, target.Shape);
        Assert.All(target.Longs, t => Assert.InRange(t, 0, 4));
    }

    [Fact]
    public void SaveThenLoad_RoundTrips_FloatsAndLongs()
    {
        var dir = Directory.CreateTempSubdirectory("chorus-npy");
        var f = NpyArray.FromFloats([1f, -2.5f, float.Epsilon, 3e9f, 0f, 7f], 2, 3);
        f.Save(Path.Combine(dir.FullName, "f.npy"));
        var f2 = NpyArray.Load(Path.Combine(dir.FullName, "f.npy"));
        Assert.Equal(f.Shape, f2.Shape);
        Assert.Equal(f.Floats, f2.Floats);
        var l = NpyArray.FromLongs([5L, -1L, long.MaxValue], 3);
        l.Save(Path.Combine(dir.FullName, "l.npy"));
        Assert.Equal(l.Longs, NpyArray.Load(Path.Combine(dir.FullName, "l.npy")).Longs);
        Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp"));
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsNamingFile()
    {
        var dir = Directory.CreateTempSubdirectory("chorus-npy");
        var path = Path.Combine(dir.FullName, "cut.npy");
        var bytes = File.ReadAllBytes(Golden("input.npy"));
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.Load(path));
        Assert.Contains("cut.npy", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Load_NotNpy_ThrowsBadMagic()
    {
        var dir = Directory.CreateTempSubdirectory("chorus-npy");
        var path = Path.Combine(dir.FullName, "x.npy");
        File.WriteAllText(path, "hello world, not numpy");
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.Load(path));
        Assert.Contains("magic", e.Message);
    }
}
