namespace Chorus.Cli.Tests;

[Collection("Cli")]
public class ErrorHandlingTests
{
    [Fact]
    public async Task UnknownOption_ExitsNonZero_WithOneLineError()
    {
        var (code, output) = await CliRunner.RunAsync("demo", "--no-such-option");
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("no-such-option", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task MissingDataFolder_ExitsNonZero_NamingFolder()
    {
        var missing = Path.Combine(TestPaths.TempDir(), "nope");
        var (code, output) = await CliRunner.RunAsync("demo", "--data", missing, "--out", TestPaths.TempDir());
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("nope", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task CorruptImageInDataset_ExitsNonZero_NamingFile()
    {
        // Given a valid SynthBirds folder in which one image is truncated
        var data = Path.Combine(TestPaths.TempDir(), "birds");
        var (gen, genOut) = await CliRunner.RunAsync("synth", "birds", "--out", data, "--species", "4", "--size", "32", "--count", "40");
        Assert.True(gen == 0, genOut);
        var victim = Directory.GetFiles(Path.Combine(data, "images"), "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(victim);
        File.WriteAllBytes(victim, bytes[..(bytes.Length / 3)]);

        // When
        var (code, output) = await CliRunner.RunAsync("train", "--data", data, "--out", TestPaths.TempDir(), "--members", "1", "--epochs", "1", "--size", "32", "--on-bad-image", "fail");

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains(Path.GetFileName(victim), output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task InvalidOptionValue_ExitsNonZero_NamingOption()
    {
        var (code, output) = await CliRunner.RunAsync("demo", "--methods", "saliency,bogus", "--out", TestPaths.TempDir());
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("bogus", output);
    }

    [Fact]
    public async Task Help_ListsCommands()
    {
        var (code, output) = await CliRunner.RunAsync("--help");
        Assert.Equal(0, code);
        Assert.Contains("demo", output);
        Assert.Contains("train", output);
        Assert.Contains("synth", output);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("train")]
    [InlineData("evaluate")]
    [InlineData("report")]
    [InlineData("explain")]
    [InlineData("models")]
    [InlineData("doctor")]
    [InlineData("synth", "birds")]
    [InlineData("synth", "lesions")]
    [InlineData("data", "check")]
    public async Task CommandHelp_RendersEveryOption(params string[] command)
    {
        // Option descriptions are Spectre markup: an unescaped "[N,K]" or "[0,1)" once made --help fail.
        var (code, output) = await CliRunner.RunAsync([.. command, "--help"]);

        Assert.True(code == 0, output);
        Assert.Contains("OPTIONS:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", output, StringComparison.Ordinal);
        Assert.Contains("--help", output, StringComparison.Ordinal);
    }
}
