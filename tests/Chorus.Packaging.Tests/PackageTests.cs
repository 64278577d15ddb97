using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Chorus.Packaging.Tests;

/// <summary>
/// The packages as a .NET user meets them: packed into a temporary feed with a version no cache has seen, referenced by a
/// fresh console project outside the repository with its own package folder, and the tool installed from the same feed.
/// </summary>
[Collection(ReleaseBuilds.Name)]
public class PackageTests(ITestOutputHelper output)
{
    [Fact]
    public void Packages_WorkWhenReferenced_AndTheToolInstallsAndRuns()
    {
        var work = TestPaths.TempDir("chorus-packages");
        var feed = Path.Combine(work, "feed");
        var suffix = "test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var version = Run("dotnet", ["msbuild", Path.Combine(TestPaths.RepoRoot, "src", "Chorus.Core", "Chorus.Core.csproj"), "-getProperty:VersionPrefix"], TestPaths.RepoRoot).Trim() + "-" + suffix;

        // Pack: the libraries a consumer needs, and the tool.
        var clock = Stopwatch.StartNew();
        foreach (var project in new[] { "Chorus.Core", "Chorus.Data", "Chorus.Torch", "Chorus.Reports", "Chorus.Study", "Chorus.Cli" })
        {
            Run("dotnet", ["pack", Path.Combine(TestPaths.RepoRoot, "src", project), "-c", "Release", "-o", feed, $"-p:VersionSuffix={suffix}", "-nologo"], TestPaths.RepoRoot);
        }

        output.WriteLine($"packed in {clock.Elapsed.TotalSeconds:F0} s:");
        foreach (var file in Directory.GetFiles(feed, "*.nupkg").Order(StringComparer.Ordinal))
        {
            output.WriteLine($"  {Path.GetFileName(file)}  {new FileInfo(file).Length / 1024.0 / 1024.0:F2} MiB");
        }

        Assert.True(File.Exists(Path.Combine(feed, $"Chorus.Torch.{version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"Chorus.Study.{version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"chorus.{version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"chorus.linux-x64.{version}.nupkg")));

        // A consumer outside the repository, its own package folder; third-party packages may come from the machine's
        // package folder (read-only fallback) or its sources, Chorus packages only from the feed.
        var consumer = Path.Combine(work, "consumer");
        Directory.CreateDirectory(consumer);
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" /></config>
              <packageSources><add key="chorus-feed" value="{feed}" /></packageSources>
              <fallbackPackageFolders><add key="machine" value="{machinePackages}" /></fallbackPackageFolders>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Chorus.Torch" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "ConsumerProgram.cs.txt"), Path.Combine(consumer, "Program.cs"));
        File.Copy(Path.Combine(TestPaths.RepoRoot, "samples", "QuickStart", "QuickStart.cs"), Path.Combine(consumer, "QuickStart.cs"));
        var golden = Path.Combine(TestPaths.RepoRoot, "tests", "data", "golden", "tinycnn");

        var build = Run("dotnet", ["build", "-nologo"], consumer);
        Assert.Contains("Chorus.Torch", File.ReadAllText(Path.Combine(consumer, "obj", "project.assets.json")), StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(work, "packages", "chorus.torch", version)), "Chorus.Torch came from the feed into the consumer's own folder");
        output.WriteLine(build.Split('\n').FirstOrDefault(l => l.Contains("GLIBCXX", StringComparison.Ordinal))?.Trim() ?? "(libstdc++ has GLIBCXX_3.4.32: no patch needed)");

        var ran = Run("dotnet", ["run", "--no-build", "--", golden], consumer);
        output.WriteLine(ran);
        Assert.Contains("consumer OK", ran, StringComparison.Ordinal);
        Assert.Contains("golden saliency_abs.npy", ran, StringComparison.Ordinal);
        Assert.Contains("integrated-gradients   image 1: Pearson r with the mask, Ens-Avg", ran, StringComparison.Ordinal);

        // Publish output is patched too, and runs.
        var publish = Path.Combine(work, "publish");
        Run("dotnet", ["publish", "-nologo", "-o", publish], consumer);
        Assert.Contains("consumer OK", Run("dotnet", [Path.Combine(publish, "consumer.dll"), golden], consumer), StringComparison.Ordinal);

        // The tool, from the same feed.
        var tools = Path.Combine(work, "tools");
        clock.Restart();
        Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", feed, "chorus", "--version", version], work, ("NUGET_PACKAGES", Path.Combine(work, "tool-packages")));
        output.WriteLine($"tool installed in {clock.Elapsed.TotalSeconds:F0} s");
        var chorus = Path.Combine(tools, "chorus");
        var models = Run(chorus, ["models"], work);
        Assert.Contains("present", models, StringComparison.Ordinal);
        var demo = Run(chorus, ["demo", "--quick", "--out", Path.Combine(work, "demo")], work);
        output.WriteLine(demo);
        Assert.True(File.Exists(Path.Combine(work, "demo", "results.csv")));
        Assert.Contains("numerics", File.ReadAllText(Path.Combine(work, "demo", "manifest.json")), StringComparison.Ordinal);
    }

    /// <summary>Runs a command to the end; its output, or a failure with everything it printed.</summary>
    private string Run(string file, IReadOnlyList<string> args, string directory, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // The test host's MSBuild variables would steer the child builds.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var text = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync();
        text.Append(process.StandardOutput.ReadToEnd());
        process.WaitForExit();
        text.Append(stderr.Result);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} (in {directory}) exited {process.ExitCode}:\n{text}");
        return text.ToString();
    }
}

/// <summary>The README's C# block is the sample file, so it cannot go stale (the packaging test compiles and runs the file).</summary>
public class ReadmeSampleTests
{
    [Fact]
    public void ReadmeUseItFromCSharp_IsTheSampleFile()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        var start = readme.IndexOf("<!-- quickstart:begin -->\n```csharp\n", StringComparison.Ordinal);
        var end = readme.IndexOf("```\n<!-- quickstart:end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md lacks the quickstart markers");
        var block = readme[(start + "<!-- quickstart:begin -->\n```csharp\n".Length)..end];
        var sample = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "samples", "QuickStart", "QuickStart.cs")).ReplaceLineEndings("\n");
        Assert.Equal(sample, block);
    }
}
