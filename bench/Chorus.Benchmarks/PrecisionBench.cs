using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Benchmarks;

/// <summary>
/// <c>--fidelity</c>: each study method in fp32 and in bf16 on the same ResNet-18 (random weights) and inputs, in one
/// process: per-image Pearson r of the reduced maps (Σ_c |a_c|; Grad-CAM upsampled bilinearly) and the bf16 ÷ fp32
/// wall-time ratio (alternating runs, median). Writes bench/results/bench_&lt;size&gt;_bf16.md.
/// </summary>
internal static class PrecisionBench
{
    public static int Run(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int dflt) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : dflt;
        var size = Int("--size", 224);
        var batch = Int("--batch", 4);
        var igSteps = Int("--ig-steps", 16);
        var gsSamples = Int("--gs-samples", 10);
        var repeats = Int("--repeats", 3);
        var models = Int("--models", 2);
        var outDir = Get("--out") ?? Path.Combine("bench", "results");
        torch.set_num_threads(Int("--threads", 2));
        var loadStart = Load();
        Console.WriteLine($"fidelity: ResNet-18 {size}px batch {batch}, {models} random models, IG {igSteps} steps, GS {gsSamples} samples, load {loadStart}");

        var settings = new AttributionSettings
        {
            IntegratedGradients = new IntegratedGradientsOptions(igSteps, IntegrationRule.GaussLegendre, null, 16),
            GradientShap = new GradientShapOptions(null, gsSamples, 0.0, 16),
            GradCam = new GradCamOptions("layer4", false, CamUpsample.Bilinear),
        };
        string[] methods = [Saliency.CliName, InputXGradient.CliName, IntegratedGradients.CliName, GradientShap.CliName, GradCam.CliName];
        var rs = methods.ToDictionary(m => m, _ => new List<double>());
        var ratios = methods.ToDictionary(m => m, _ => new List<double>());
        var fp32Seconds = methods.ToDictionary(m => m, _ => new List<double>());
        for (var seed = 0; seed < models; seed++)
        {
            using var model = new ResNetClassifier(seed);
            foreach (var p in model.Module.parameters())
            {
                p.requires_grad_(false);
            }

            torch.manual_seed(100 + seed);
            using var x = torch.randn(batch, 3, size, size);
            using var target = torch.randint(1000, [batch], dtype: ScalarType.Int64);
            foreach (var name in methods)
            {
                Tensor? fp32 = null, bf16 = null;
                var t32 = new List<double>();
                var t16 = new List<double>();
                for (var r = 0; r < (name is "integrated-gradients" or "gradient-shap" ? 1 : repeats); r++)
                {
                    // Alternate the two precisions so load changes hit both alike.
                    (fp32, var s32) = Attribute(name, settings, model, x, target);
                    (bf16, var s16) = Attribute(name, settings with { Precision = Precision.BFloat16 }, model, x, target);
                    t32.Add(s32);
                    t16.Add(s16);
                }

                for (var i = 0; i < batch; i++)
                {
                    rs[name].Add(Pearson(fp32![i], bf16![i]));
                }

                ratios[name].Add(Median(t16) / Median(t32));
                fp32Seconds[name].Add(Median(t32) / batch);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model {seed} {name,-22} r min {rs[name].Min():F4}  bf16/fp32 time {ratios[name][^1]:F2}  fp32 {Median(t32) / batch:F3} s/img  load {Load()}"));
                fp32!.Dispose();
                bf16!.Dispose();
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# bf16 vs fp32 attribution, ResNet-18 {size}px (random weights), batch {batch}, {torch.get_num_threads()} threads");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"`dotnet run -c Release --project bench/Chorus.Benchmarks -- {string.Join(' ', args)}`");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Load average: start {loadStart}, end {Load()}. CPU: {CpuModel()}; bf16 flags: {Bf16Flags()}.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{models} models × {batch} images = {models * batch} maps per method. IG {igSteps} Gauss–Legendre steps, GS {gsSamples} samples (references zeros + 9×9 blur), both internal batch 16; Grad-CAM layer4 bilinear.");
        sb.AppendLine("bf16 = `AttributionSettings.Precision = BFloat16` (model converted to bfloat16 per call and restored; maps float32).");
        sb.AppendLine("r = Pearson correlation, per image, of the Σ_c|a_c| maps (Grad-CAM: the upsampled map) bf16 vs fp32. Time ratio = bf16 ÷ fp32 wall time, same process, alternating runs, median per model, then mean over models.");
        sb.AppendLine();
        sb.AppendLine("| method | mean r | min r | fp32 s/img | bf16 ÷ fp32 time |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var m in methods)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m} | {rs[m].Average():F4} | {rs[m].Min():F4} | {fp32Seconds[m].Average():F3} | {ratios[m].Average():F2} |");
        }

        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, $"bench_{size}_bf16.md");
        File.WriteAllText(path, sb.ToString());
        Console.Write(sb.ToString());
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    private static (Tensor Map, double Seconds) Attribute(string name, AttributionSettings settings, IClassifier model, Tensor x, Tensor target)
    {
        using var gen = new Generator(7);
        var method = AttributionMethodFactory.Create(name, settings, gen);
        using var scope = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        var attr = method.Attribute(model, x, target);
        var map = attr.shape[1] == 1 ? attr.sum(1) : SaliencyMaps.Reduce(attr, MapReduction.SumAbs);
        var flat = map.flatten(1).to_type(ScalarType.Float64).contiguous();
        _ = flat.sum().item<double>();
        return (flat.MoveToOuterDisposeScope(), sw.Elapsed.TotalSeconds);
    }

    internal static double Pearson(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var da = a - a.mean();
        var db = b - b.mean();
        return ((da * db).sum() / (da.norm() * db.norm())).item<double>();
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);

    internal static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    internal static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";

    internal static string Bf16Flags()
    {
        if (!File.Exists("/proc/cpuinfo"))
        {
            return "unknown";
        }

        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ') ?? [];
        var bf16 = flags.Where(f => f.StartsWith("amx", StringComparison.Ordinal) || f == "avx512_bf16").ToList();
        return bf16.Count == 0 ? "none (no avx512_bf16, no AMX)" : string.Join(", ", bf16);
    }
}
