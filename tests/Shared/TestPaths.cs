namespace Chorus.Testing;

/// <summary>Locations of the repository's test data, found by walking up from the test binary.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("Chorus.slnx not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root (the folder holding Chorus.slnx).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>A file of the golden Captum case <paramref name="caseName"/> under tests/data/golden.</summary>
    public static string Golden(string caseName, string file) => Path.Combine(RepoRoot, "tests", "data", "golden", caseName, file);

    /// <summary>A fresh empty temporary folder.</summary>
    public static string TempDir(string prefix = "chorus-test") => Directory.CreateTempSubdirectory(prefix + "-").FullName;
}
