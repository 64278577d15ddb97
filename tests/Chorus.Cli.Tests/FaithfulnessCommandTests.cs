using Chorus.Study;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Torch.Faithfulness;
using Chorus.Torch.Training;
using TorchSharp;

namespace Chorus.Cli.Tests;

[Collection("Cli")]
public class FaithfulnessCommandTests
{
    [Fact]
    public async Task Evaluate_Faithfulness_WritesFilesMatchingTheDefinition_AndTheReportShowsThem()
    {
        // Given: a run with 3 member checkpoints, 2 methods, 5 explained images
        var run = RunFolderFixtures.SyntheticRunWithMembers();

        // When
        var (code, output) = await CliRunner.RunAsync(
            "evaluate", "--run", run, "--metrics", "pearson", "--orders", "2", "--faithfulness", "--faithfulness-steps", "4", "--faithfulness-images", "0");

        // Then: one row per method × metric × aggregate, n = 5, values are probability AUCs
        Assert.True(code == 0, output);
        var rows = ResultsCsv.Read(Path.Combine(run, "faithfulness.csv"));
        Assert.Equal(2 * 2 * 2, rows.Count);
        Assert.All(rows, r => Assert.Equal((FaithfulnessRunner.Part, 5), (r.Part, r.NImages)));
        Assert.All(rows, r => Assert.InRange(r.Mean, 0.0, 1.0));
        Assert.Equal([FaithfulnessRunner.DeletionMetric, FaithfulnessRunner.InsertionMetric], rows.Select(r => r.Metric).Distinct().Order());
        Assert.False(rows.Single(r => r.Metric == FaithfulnessRunner.DeletionMetric && r.Aggregate == Aggregates.EnsAvg && r.Method == "saliency").HigherIsBetter);
        var perImage = PerImageCsv.Read(Path.Combine(run, "faithfulness_per_image.csv"));
        Assert.Equal(5 * 2 * 2, perImage.Count);
        var curves = FaithfulnessCurvesCsv.Read(Path.Combine(run, "faithfulness_curves.csv"));
        Assert.Equal(2 * 2 * 2 * 5, curves.Count);                                       // methods × curves × aggregates × (steps + 1)
        Assert.Contains(SummaryJson.Read(Path.Combine(run, "summary.json")).Comparisons, c => c.Metric == FaithfulnessRunner.InsertionMetric && c.Method == "grad-cam");
        Assert.Contains(SummaryJson.Read(Path.Combine(run, "summary.json")).Comparisons, c => c.Metric == "pearson");

        // Then: image 0 of saliency follows the definition (Exp: own map on own model; Ens: mean map on each model; both averaged over members)
        var data = RunFolder.Load(run);
        var factory = FaithfulnessRunner.Factory(data);
        var options = FaithfulnessRunner.Options(4, "blur");
        var i = data.Chosen[0];
        var plane = 3 * data.Test.Size * data.Test.Size;
        var maps = data.Maps["saliency"];
        var ensMap = EnsembleAggregator.Mean.Aggregate([.. maps.Select(m => m[0])]);
        double ens = 0, exp = 0;
        using (var scope = torch.NewDisposeScope())
        {
            var x = torch.tensor(data.Test.Pixels.AsSpan(i * plane, plane).ToArray(), [1, 3, data.Test.Size, data.Test.Size]);
            var y = torch.tensor(new long[] { data.Test.Labels[i] });
            for (var m = 0; m < RunFolderFixtures.Members; m++)
            {
                using var model = EnsembleTrainer.LoadMember(factory, Path.Combine(run, "run"), m);
                ens += DeletionInsertion.Compute(model, x, y, [ensMap], options)[0].DeletionAuc / RunFolderFixtures.Members;
                exp += DeletionInsertion.Compute(model, x, y, [maps[m][0]], options)[0].DeletionAuc / RunFolderFixtures.Members;
            }
        }

        var row = perImage.First(r => r.Method == "saliency" && r.Metric == FaithfulnessRunner.DeletionMetric);
        Assert.Equal(data.ImageIds[0], row.ImageId);
        Assert.Equal(ens, row.EnsAvg, 6);
        Assert.Equal(exp, row.ExpAvg, 6);
        Assert.NotEqual(row.EnsAvg, row.ExpAvg);

        // When: a re-run resumes from run/faithfulness/member-XX.json and gives the same numbers
        Assert.Equal(RunFolderFixtures.Members, Directory.GetFiles(Path.Combine(run, "run", "faithfulness"), "member-*.json").Length);
        var (code2, output2) = await CliRunner.RunAsync(
            "evaluate", "--run", run, "--metrics", "pearson", "--orders", "2", "--faithfulness", "--faithfulness-steps", "4", "--faithfulness-images", "0");
        Assert.True(code2 == 0, output2);
        Assert.Equal(rows, ResultsCsv.Read(Path.Combine(run, "faithfulness.csv")));

        // When: the report is written
        var (code3, output3) = await CliRunner.RunAsync("report", "--run", run, "--images", "1");

        // Then: the faithfulness section with its table and both curve plots, as SVG and PNG
        Assert.True(code3 == 0, output3);
        var html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("<section id=\"faithfulness\">", html);
        Assert.Contains("deletion_auc ↓", html);
        Assert.True(File.Exists(Path.Combine(run, "plots", "faithfulness-deletion.png")));
        Assert.True(File.Exists(Path.Combine(run, "figures", "faithfulness-insertion.svg")));
    }

    [Fact]
    public async Task Evaluate_FaithfulnessWithoutCheckpoints_NamesTheMissingFile()
    {
        // Given: maps but no member checkpoints
        var run = RunFolderFixtures.SyntheticRun();

        // When
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", run, "--metrics", "pearson", "--orders", "2", "--faithfulness");

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("member-00.safetensors is missing", output.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_UnknownFaithfulnessBaseline_IsAUserError()
    {
        // When
        var (code, output) = await CliRunner.RunAsync("evaluate", "--run", RunFolderFixtures.SyntheticRun(), "--faithfulness", "--faithfulness-baseline", "noise");

        // Then
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("unknown baseline 'noise'", output, StringComparison.Ordinal);
    }
}
