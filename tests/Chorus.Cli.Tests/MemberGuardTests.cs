using System.Text.Json.Nodes;

namespace Chorus.Cli.Tests;

/// <summary>Members that did not learn are named, marked, and can stop a run before it explains them.</summary>
public class MemberGuardTests
{
    [Fact]
    public async Task MembersAtChance_AreWarnedAbout_MarkedInTheManifest()
    {
        var outDir = TestPaths.TempDir();
        // A learning rate of (nearly) zero: the shared backbone and the members stay at their random initialisation.
        var (code, output) = await CliRunner.RunAsync("train", "--quick", "--lr", "1e-9", "--members", "2", "--epochs", "1", "--pretrain-epochs", "1", "--out", outDir);

        Assert.True(code == 0, output);
        Assert.Contains("baseline: the majority class", output, StringComparison.Ordinal);
        Assert.Contains("not clearly above the majority-class baseline", output, StringComparison.Ordinal);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!["results"]!;
        Assert.Equal([1, 2], results["members_below_baseline"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.InRange(results["majority_accuracy"]!.GetValue<double>(), 0.2, 0.4);
        Assert.Equal(2, results["balanced_accuracy_per_member"]!.AsArray().Count);
    }

    [Fact]
    public async Task MinAccuracy_StopsBeforeExplaining_WithExitCode2()
    {
        var outDir = TestPaths.TempDir();
        var (code, output) = await CliRunner.RunAsync("demo", "--quick", "--lr", "1e-9", "--members", "2", "--epochs", "1", "--pretrain-epochs", "1", "--min-accuracy", "0.6", "--out", outDir);

        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("--min-accuracy", output, StringComparison.Ordinal);
        Assert.Contains("stopping before explaining", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(outDir, "run", "maps")));
        Assert.True(File.Exists(Path.Combine(outDir, "run", "members", "member-00.safetensors")));   // kept
    }

    [Fact]
    public async Task MinAccuracy_OutOfRange_IsAUserError()
    {
        var (code, output) = await CliRunner.RunAsync("train", "--quick", "--min-accuracy", "85", "--out", TestPaths.TempDir());
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("between 0 and 1", output, StringComparison.Ordinal);
    }
}
