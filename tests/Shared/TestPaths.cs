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

    private static readonly Lazy<string> ProcessTemp = new(CreateProcessTemp);

    /// <summary>
    /// A fresh empty temporary folder under this test process's own folder (<c>$TMPDIR/chorus-tests/&lt;pid&gt;</c>), which is
    /// deleted when the process exits or, if it was killed, by the next test process that starts.
    /// </summary>
    public static string TempDir(string prefix = "chorus-test") =>
        Directory.CreateDirectory(Path.Combine(ProcessTemp.Value, prefix + "-" + Guid.NewGuid().ToString("N"))).FullName;

    // Runs, checkpoints and generated datasets add up to about a gigabyte per suite run; left behind, repeated runs
    // filled the disk. The test host is not guaranteed to run exit handlers, hence the sweep of dead processes' folders.
    private static string CreateProcessTemp()
    {
        var parent = Path.Combine(Path.GetTempPath(), "chorus-tests");
        Directory.CreateDirectory(parent);
        foreach (var stale in Directory.EnumerateDirectories(parent))
        {
            if (int.TryParse(Path.GetFileName(stale), out var pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                TryDelete(stale);
            }
        }

        var mine = Path.Combine(parent, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(mine);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(mine);
        return mine;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a folder still in use stays for the next sweep.
        }
    }
}
