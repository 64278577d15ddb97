using Chorus.Data.Isic;
using Chorus.Data.Synthetic;
using Chorus.Testing;

namespace Chorus.Cli.Tests;

[Collection("Cli")]
public class SynthLesionsCommandTests
{
    [Fact]
    public async Task SynthLesions_PositionalOut_WritesIsicFolder_WithOneLineSummary()
    {
        // Given
        var dir = Path.Combine(TestPaths.TempDir(), "lesions");

        // When
        var (code, output) = await CliRunner.RunAsync("synth", "lesions", dir, "--count", "20", "--size", "32", "--seed", "5", "--test-fraction", "0.5");

        // Then
        Assert.True(code == 0, output);
        Assert.Contains("Wrote 20 lesion images (benign/malignant; 10 train, 10 test)", output);
        var ds = IsicDataset.Load(dir);
        Assert.Equal((10, 10), (ds.Split(IsicSplit.Training).Count, ds.Split(IsicSplit.Validation).Count));
        Assert.Contains("\"seed\": 5", File.ReadAllText(Path.Combine(dir, SynthLesions.MarkerFile)));
    }

    [Fact]
    public async Task SynthLesions_OutOption_SameFolderAsTheLibrary()
    {
        // Given
        var viaCli = Path.Combine(TestPaths.TempDir(), "cli");
        var viaApi = Path.Combine(TestPaths.TempDir(), "api");

        // When
        var (code, output) = await CliRunner.RunAsync("synth", "lesions", "--out", viaCli, "--count", "6", "--size", "32");
        SynthLesions.Generate(viaApi, new SynthLesionsOptions(Count: 6, ImageSize: 32));

        // Then
        Assert.True(code == 0, output);
        var files = Directory.GetFiles(viaApi, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(viaApi, f)).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(viaCli, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(viaCli, f)).Order());
        Assert.All(files, f => Assert.Equal(File.ReadAllBytes(Path.Combine(viaApi, f)), File.ReadAllBytes(Path.Combine(viaCli, f))));
    }

    [Theory]
    [InlineData("--size", "16", "ImageSize")]
    [InlineData("--count", "1", "Count")]
    [InlineData("--test-fraction", "1.5", "TestFraction")]
    public async Task SynthLesions_InvalidOption_ExitsUserError_NamingIt(string option, string value, string name)
    {
        var (code, output) = await CliRunner.RunAsync("synth", "lesions", Path.Combine(TestPaths.TempDir(), "x"), option, value);

        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains(name, output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task SynthLesions_NonEmptyFolder_ExitsUserError_NamingIt()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "x");

        var (code, output) = await CliRunner.RunAsync("synth", "lesions", dir, "--count", "4", "--size", "32");

        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("not empty", output);
        Assert.DoesNotContain("   at ", output);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task SynthLesions_OutGivenTwiceDifferently_ExitsUserError()
    {
        var (code, output) = await CliRunner.RunAsync("synth", "lesions", "a", "--out", "b", "--count", "4");

        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("given twice", output);
    }
}
