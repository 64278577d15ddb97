using System.Diagnostics;

namespace Chorus.Reports.Tests;

/// <summary>Headless Chromium, when installed: env <c>CHROMIUM</c> when set (and only it), else /usr/bin/chromium or /usr/bin/chromium-browser.</summary>
internal static class Chromium
{
    public static string? Path { get; } =
        (Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } chosen ? [chosen] : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" })
        .FirstOrDefault(File.Exists);

    /// <summary>True under CI (env CI=true), where a missing browser is a failure, not a skip.</summary>
    public static bool UnderCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Runs Chromium headless on <paramref name="extraArgs"/> + the page; returns stdout. Throws on a non-zero exit or after 2 minutes.</summary>
    public static string Run(string page, params string[] extraArgs)
    {
        var profile = TestPaths.TempDir("chromium-profile");
        var info = new ProcessStartInfo(Path ?? throw new InvalidOperationException("Chromium is not installed."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", $"--user-data-dir={profile}",
        }.Concat(extraArgs))
        {
            info.ArgumentList.Add(a);
        }

        info.ArgumentList.Add(new Uri(page).AbsoluteUri);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within 2 minutes: {stderr.Result}");
        }

        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}

/// <summary>A fact that needs Chromium: skipped without it locally, run (and failing) without it under CI.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Path is null && !Chromium.UnderCi)
        {
            Skip = "chromium is not installed (apt-get install chromium); under CI=true this test fails instead.";
        }
    }
}
