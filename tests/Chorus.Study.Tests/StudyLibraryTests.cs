using System.Diagnostics;
using Chorus.Data.Synthetic;
using Chorus.Evaluation;
using Chorus.Study;
using Chorus.Torch.Attribution;
using Chorus.Torch.Training;

namespace Chorus.Study.Tests;

/// <summary>A whole study run from .NET through Chorus.Study, with no command-line project anywhere.</summary>
public class StudyLibraryTests
{
    [Fact]
    public void SmallStudy_ThroughTheLibraryAlone_GivesTheResultsOfTheCommandLine()
    {
        // Given: a small SynthBirds study, as settings
        var root = TestPaths.TempDir();
        var settings = new StudySettings
        {
            Out = Path.Combine(root, "library"),
            Synth = new SynthBirdsOptions(4, 48, 160, 0.3, 0),
            ImageSize = 48,
            Training = new TrainingOptions(Members: 2, Epochs: 1, PretrainEpochs: 1),
            Attribution = new AttributionSettings
            {
                IntegratedGradients = new IntegratedGradientsOptions { Steps = 8, InternalBatchSize = StudySettings.InternalBatchFor(48, 8) },
                GradientShap = new GradientShapOptions { Samples = 5, InternalBatchSize = StudySettings.InternalBatchFor(48, 5) },
                GradCam = new GradCamOptions(Relu: true, Upsample: CamUpsample.Bilinear),
                GradCamPlusPlus = new GradCamPlusPlusOptions(Relu: true, Upsample: CamUpsample.Bilinear),
            },
            ExplainCount = 6,
            Methods = [Saliency.CliName, IntegratedGradients.CliName, GradCam.CliName],
            Threads = 1,
        };
        var lines = new StringWriter();

        // When: the library runs it
        var outcome = new StudyRunner(new SilentStudyReporter(lines), settings).Run("library");

        // Then: the study's files, and what it said
        Assert.Equal(3 * 2, outcome.Cells.Count);   // methods × parts
        Assert.Equal(2, outcome.Members.Count);
        Assert.Contains("Ensemble of 2", lines.ToString());
        foreach (var file in new[] { "results.csv", "per_image.csv", "summary.json", "curves.csv", "report.html", "manifest.json" })
        {
            Assert.True(File.Exists(Path.Combine(settings.Out, file)), file);
        }

        // When: the command line runs the same study (a separate process; this project does not reference it)
        var cli = Path.Combine(root, "cli");
        var (code, output) = RunCli([
            "demo", "--out", cli, "--species", "4", "--size", "48", "--count", "160", "--members", "2", "--epochs", "1",
            "--pretrain-epochs", "1", "--ig-steps", "8", "--explain", "6", "--methods", "saliency,integrated-gradients,grad-cam", "--threads", "1"]);

        // Then: the same results.csv
        Assert.True(code == 0, output);
        var library = ResultsCsv.Read(Path.Combine(settings.Out, "results.csv"));
        var fromCli = ResultsCsv.Read(Path.Combine(cli, "results.csv"));
        Assert.Equal(library.Count, fromCli.Count);
        Assert.All(library.Zip(fromCli), p => Assert.Equal(p.First, p.Second));
    }

    [Fact]
    public void ChangedOcclusionSmoothGradOrGradCamPlusPlusOptions_AreRefusedNamingTheOption_NeverReusedSilently()
    {
        // Given: a small study with the three methods whose options the maps' guard used to leave out
        var out1 = Path.Combine(TestPaths.TempDir(), "guard");
        var settings = new StudySettings
        {
            Out = out1,
            Synth = new SynthBirdsOptions(4, 32, 80, 0.3, 0),
            ImageSize = 32,
            Training = new TrainingOptions(Members: 1, Epochs: 1, PretrainEpochs: 0),
            Attribution = new AttributionSettings
            {
                GradCam = new GradCamOptions(Relu: true, Upsample: CamUpsample.Bilinear),
                GradCamPlusPlus = new GradCamPlusPlusOptions(Relu: true, Upsample: CamUpsample.Bilinear),
                Occlusion = new OcclusionOptions([8, 8], [8, 8]),
                NoiseTunnel = new NoiseTunnelOptions(Samples: 2),
            },
            ExplainCount = 2,
            Methods = [Occlusion.CliName, NoiseTunnel.CliName, GradCamPlusPlus.CliName],
            Threads = 1,
        };
        new StudyRunner(new SilentStudyReporter(), settings).Run("library");
        var a = settings.Attribution;

        // When / Then: each option changed in turn makes the re-run stop, naming it, with the old maps untouched
        var maps = Directory.GetFiles(Path.Combine(out1, "run", "maps"), "*.npy", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);
        foreach (var (changed, named) in new (AttributionSettings, string)[]
        {
            (a with { Occlusion = new OcclusionOptions([8, 8], [4, 4]) }, "occlusion="),
            (a with { NoiseTunnel = new NoiseTunnelOptions(Samples: 3) }, "smoothgrad="),
            (a with { SmoothGradInner = InputXGradient.CliName }, "smoothgrad="),
            (a with { GradCamPlusPlus = new GradCamPlusPlusOptions(Relu: false, Upsample: CamUpsample.Bilinear) }, "grad_cam_plus_plus="),
        })
        {
            var e = Assert.Throws<ChorusException>(() => new StudyRunner(new SilentStudyReporter(), settings with { Attribution = changed }).Run("library"));
            Assert.Contains(named, e.Message);
        }

        Assert.All(maps, m => Assert.Equal(m.Value, File.ReadAllBytes(m.Key)));
    }

    [Fact]
    public void Stages_InMemberRanges_ThenEvaluate_GiveTheResultsOfOneRun()
    {
        // Given: one study, run whole in one folder
        var root = TestPaths.TempDir();
        StudySettings Settings(string name) => new()
        {
            Out = Path.Combine(root, name),
            Synth = new SynthBirdsOptions(4, 32, 120, 0.3, 0),
            ImageSize = 32,
            Training = new TrainingOptions(Members: 3, Epochs: 1, PretrainEpochs: 1),
            Attribution = new AttributionSettings { GradCam = new GradCamOptions(Relu: true, Upsample: CamUpsample.Bilinear) },
            ExplainCount = 5,
            Methods = [Saliency.CliName, GradCam.CliName],
            Threads = 1,
        };
        new StudyStages(Settings("whole")).Run();

        // When: the same study stage by stage, members in two ranges
        var staged = new StudyStages(Settings("staged"));
        staged.TrainMembers(Chorus.Runs.MemberRange.Parse("0-1"));
        staged.ExplainMembers(Chorus.Runs.MemberRange.Parse("0-1"));
        var early = Assert.Throws<ChorusException>(() => staged.Evaluate());
        staged.ExplainMembers(Chorus.Runs.MemberRange.Parse("2"));
        var comparisons = staged.Evaluate();
        var report = staged.Report();

        // Then: evaluation waited for member 2, and the results are the whole run's
        Assert.Contains("member-02.npy", early.Message);
        Assert.True(File.Exists(report));
        Assert.Equal(2 * 2 * 2, comparisons.Count);   // methods × parts × metrics
        var whole = ResultsCsv.Read(Path.Combine(root, "whole", "results.csv"));
        var parts = ResultsCsv.Read(staged.Layout.Results);
        Assert.Equal(whole.Count, parts.Count);
        foreach (var (a, b) in whole.Zip(parts))
        {
            Assert.Equal((a.Part, a.Method, a.Metric, a.Aggregate), (b.Part, b.Method, b.Metric, b.Aggregate));
            Assert.Equal(a.Mean, b.Mean, 12);
            Assert.Equal(a.WilcoxonP, b.WilcoxonP, 12);
        }
    }

    [Fact]
    public void ThisProject_DoesNotReferenceTheCommandLine() =>
        Assert.DoesNotContain(typeof(StudyLibraryTests).Assembly.GetReferencedAssemblies(), a => a.Name is "chorus" or "Spectre.Console");

    // The CLI built beside this test's configuration (dotnet test Chorus.slnx builds it first; built here when missing).
    private static (int Code, string Output) RunCli(string[] args)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(TestPaths.RepoRoot, "src", "Chorus.Cli", "bin", configuration, "net10.0", "chorus.dll");
        if (!File.Exists(dll))
        {
            Run(["build", Path.Combine(TestPaths.RepoRoot, "src", "Chorus.Cli"), "-c", configuration, "-nologo"]);
        }

        return Run([dll, .. args]);
    }

    private static (int Code, string Output) Run(string[] args)
    {
        var start = new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
