using Chorus.Evaluation;

namespace Chorus.Tests;

/// <summary>Assertions on whole run folders, shared by the tests that split one study over processes or machines.</summary>
internal static class StudyAssert
{
    /// <summary>
    /// <paramref name="actual"/> holds the same study as <paramref name="expected"/>: every map file byte for byte and the
    /// same results.csv rows. Returns the number of map files compared.
    /// </summary>
    public static int SameStudy(string expected, string actual)
    {
        var maps = Directory.GetFiles(Path.Combine(expected, "run", "maps"), "*.npy", SearchOption.AllDirectories);
        Assert.NotEmpty(maps);
        foreach (var map in maps)
        {
            var other = Path.Combine(actual, Path.GetRelativePath(expected, map));
            Assert.True(File.ReadAllBytes(map).AsSpan().SequenceEqual(File.ReadAllBytes(other)), $"{Path.GetRelativePath(expected, map)} differs");
        }

        var a = ResultsCsv.Read(Path.Combine(expected, "results.csv"));
        var b = ResultsCsv.Read(Path.Combine(actual, "results.csv"));
        Assert.Equal(a.Count, b.Count);
        Assert.All(a.Zip(b), p => Assert.Equal(p.First, p.Second));
        return maps.Length;
    }
}
