using System.Globalization;
using System.Text.Json.Nodes;

namespace Chorus.Cli.Tests;

[Collection("Cli")]
public class DemoCommandTests
{
    [Fact]
    public async Task Demo_Quick_WritesCompleteResultsManifestAndFigures()
    {
        // Given
        var outDir = Path.Combine(TestPaths.TempDir(), "demo");

        // When
        var (code, output) = await CliRunner.RunAsync("demo", "--quick", "--out", outDir);

        // Then
        Assert.True(code == 0, output);
        Assert.Contains("Ens-Avg", output);
        var rows = File.ReadAllLines(Path.Combine(outDir, "results.csv"));
        Assert.Equal("part,method,metric,aggregate", string.Join(",", rows[0].Split(',').Take(4)));
        var keys = rows.Skip(1).Select(r => r.Split(',')).Select(c => (c[0], c[1], c[2], c[3])).ToHashSet();
        foreach (var part in new[] { "beak", "wings" })
        {
            foreach (var method in new[] { "saliency", "input-x-gradient", "integrated-gradients", "gradient-shap", "grad-cam" })
            {
                foreach (var metric in new[] { "com_distance", "pearson" })
                {
                    Assert.Contains((part, method, metric, "ens_avg"), keys);
                    Assert.Contains((part, method, metric, "exp_avg"), keys);
                }
            }
        }

        Assert.All(rows.Skip(1), r => Assert.True(double.TryParse(r.Split(',')[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v), r));
        Assert.True(File.ReadAllLines(Path.Combine(outDir, "per_image.csv")).Length > 1);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")))!;
        Assert.Equal("demo", manifest["command"]!.GetValue<string>());
        Assert.NotNull(manifest["seeds"]!["training"]);
        Assert.NotNull(manifest["versions"]!["TorchSharp"]);
        Assert.NotNull(manifest["timings_s"]!["total"]);

        // The numerics verdict: configuration, CPU, every probe within tolerance, and the members' model check (48 px, batch 2).
        var numerics = manifest["numerics"]!;
        Assert.Contains(numerics["configuration"]!.GetValue<string>(), Torch.Numerics.NumericsConfigurations.Names);
        Assert.NotNull(numerics["cpu"]!["model"]);
        Assert.NotNull(numerics["cpu"]!["onednn_isa"]);
        Assert.All(numerics["probes"]!.AsArray(), p => Assert.True(p!["passed"]!.GetValue<bool>(), p.ToJsonString()));
        var checks = numerics["model_checks"]!.AsArray();
        Assert.Contains(checks, c => c!["input"]!.GetValue<string>() == "[2,3,48,48]" && c["passed"]!.GetValue<bool>());
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "figures", "grad-cam"), "*.png"));

        // The members learned (55 % on 4 species): the baseline guard stays silent.
        Assert.Empty(manifest["results"]!["members_below_baseline"]!.AsArray());
        Assert.DoesNotContain("not clearly above", output, StringComparison.Ordinal);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(outDir, "run", "members"), "*.safetensors").Length);

        // And a second run over the same folder resumes: nothing is retrained or re-explained.
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(outDir, "run", "maps", "saliency", "member-00.npy"));
        var (code2, output2) = await CliRunner.RunAsync("demo", "--quick", "--out", outDir);
        Assert.True(code2 == 0, output2);
        Assert.Contains("already trained", output2);
        Assert.Contains("already on disk", output2);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(outDir, "run", "maps", "saliency", "member-00.npy")));
        Assert.Equal(rows, File.ReadAllLines(Path.Combine(outDir, "results.csv")));
    }
}
