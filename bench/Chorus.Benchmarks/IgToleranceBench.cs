using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chorus.Data.Cub;
using Chorus.Torch.Attribution;
using Chorus.Torch.Checkpoints;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Benchmarks;

/// <summary>
/// <c>--ig-tolerance</c>: adaptive Integrated Gradients (<see cref="IntegratedGradientsOptions.Tolerance"/>) against the
/// fixed 50-step Gauss–Legendre reference on trained members and real test images, in one process: per tolerance, the
/// per-image Pearson r of the reduced maps (Σ_c |a_c|, what the study scores) and of the signed attributions against the
/// 50-step maps, the steps used, the completeness gaps, and the wall-time ratio adaptive ÷ fixed.
/// Writes bench/results/ig_tolerance_&lt;size&gt;.md.
/// </summary>
/// <remarks>
/// Usage: <c>--ig-tolerance --run RUN --data CUB_ROOT [--backbone resnet18-imagenet] [--members 2] [--images 24]
/// [--batch 8] [--tolerances 0.1,0.05,0.02] [--fixed 8,16,32] [--reference-steps 50] [--threads 2] [--out bench/results]</c>.
/// RUN is a run folder trained by <c>chorus train</c> on CUB_ROOT (members/member-XX.safetensors).
/// </remarks>
internal static class IgToleranceBench
{
    public static int Run(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int dflt) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : dflt;
        var run = Get("--run") ?? throw new ArgumentException("--run RUN is required (a run folder trained by chorus train).");
        var data = Get("--data") ?? throw new ArgumentException("--data CUB_ROOT is required (the dataset the run was trained on).");
        var backbone = Get("--backbone") ?? BackboneSpec.ResNet18ImageNet;
        var members = Int("--members", 2);
        var images = Int("--images", 24);
        var batch = Int("--batch", 8);
        var referenceSteps = Int("--reference-steps", 50);
        var tolerances = (Get("--tolerances") ?? "0.1,0.05,0.02").Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var fixedSteps = (Get("--fixed") ?? "8,16,32").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var outDir = Get("--out") ?? Path.Combine("bench", "results");
        torch.set_num_threads(Int("--threads", 2));

        var dataset = CubDataset.Load(data);
        var classes = dataset.Classes.Count;
        var split = dataset.LoadSplit(CubSplit.Test, Int("--size", 224));
        var size = split.Size;
        var n = Math.Min(images, split.Count);
        var plane = 3 * size * size;
        using var x = torch.tensor(split.Pixels.AsSpan(0, n * plane).ToArray(), [n, 3, size, size]);
        using var y = torch.tensor(split.Labels.Take(n).Select(l => (long)l).ToArray());
        var loadStart = PrecisionBench.Load();
        Console.WriteLine($"ig-tolerance: {backbone} {size}px, {members} members of {run}, {n} test images, batch {batch}, reference {referenceSteps} steps, load {loadStart}");

        var variants = fixedSteps.Select(k => (Label: FormattableString.Invariant($"fixed {k} steps"), Options: new IntegratedGradientsOptions(k, InternalBatchSize: 20)))
            .Concat(tolerances.Select(t => (Label: FormattableString.Invariant($"tolerance {t}"), Options: new IntegratedGradientsOptions(referenceSteps, InternalBatchSize: 20) { Tolerance = t })))
            .ToList();
        var fixedSeconds = 0.0;
        var seconds = new double[variants.Count];
        var rAbs = variants.Select(_ => new List<double>()).ToArray();
        var rSigned = variants.Select(_ => new List<double>()).ToArray();
        var steps = variants.Select(_ => new List<int>()).ToArray();
        var gaps = variants.Select(_ => new List<double>()).ToArray();
        var referenceGaps = new List<double>();
        for (var m = 0; m < members; m++)
        {
            using var model = new BackboneSpec(backbone).Create(classes);
            ModuleCheckpoint.Load(model.Module, Path.Combine(run, "members", string.Create(CultureInfo.InvariantCulture, $"member-{m:D2}.safetensors")));
            model.Module.eval();
            using var nhwc = MemoryLayout.ChannelsLast.Borrow(model, x);
            IClassifier net = nhwc ?? model;
            for (var start = 0; start < n; start += batch)
            {
                using var scope = NewDisposeScope();
                var count = Math.Min(batch, n - start);
                var xb = x.narrow(0, start, count);
                var yb = y.narrow(0, start, count);
                var reference = new IntegratedGradients(new IntegratedGradientsOptions(referenceSteps, InternalBatchSize: 20));
                var sw = Stopwatch.StartNew();
                var refAttr = reference.AttributeWithConvergence(net, xb, yb, out var refReport);
                fixedSeconds += sw.Elapsed.TotalSeconds;
                referenceGaps.AddRange(refReport.RelativeGaps);
                for (var v = 0; v < variants.Count; v++)
                {
                    using var inner = NewDisposeScope();
                    var method = new IntegratedGradients(variants[v].Options);
                    sw.Restart();
                    var attr = method.AttributeWithConvergence(net, xb, yb, out var report);
                    seconds[v] += sw.Elapsed.TotalSeconds;
                    steps[v].AddRange(report.Steps);
                    gaps[v].AddRange(report.RelativeGaps);
                    for (var i = 0; i < count; i++)
                    {
                        var a = attr[i];
                        var r = refAttr[i];
                        rSigned[v].Add(PrecisionBench.Pearson(a.flatten().to_type(ScalarType.Float64), r.flatten().to_type(ScalarType.Float64)));
                        rAbs[v].Add(PrecisionBench.Pearson(a.abs().sum([0]).flatten().to_type(ScalarType.Float64), r.abs().sum([0]).flatten().to_type(ScalarType.Float64)));
                    }
                }

                Console.WriteLine($"  member {m} images {start + count}/{n}: reference {fixedSeconds:F1} s, " +
                    string.Join(", ", variants.Select((v, k) => FormattableString.Invariant($"{v.Label}: {seconds[k]:F1} s"))));
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Adaptive Integrated Gradients vs {referenceSteps} fixed Gauss–Legendre steps ({size} px)");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{backbone}, {members} trained members of `{run}`, the first {n} test images of `{data}`, batch {batch}, internal batch 20, channels-last, {torch.get_num_threads()} threads; load {loadStart} → {PrecisionBench.Load()}.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"CPU: {PrecisionBench.CpuModel()}; bf16 flags: {PrecisionBench.Bf16Flags()}.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Reference ({referenceSteps} steps): {fixedSeconds:F1} s; relative completeness gap median {Quantile(referenceGaps, 0.5):G3}, 90th percentile {Quantile(referenceGaps, 0.9):G3}, max {referenceGaps.Max():G3}.");
        sb.AppendLine();
        sb.AppendLine("| variant | time ÷ reference | mean steps | steps (min / median / max) | at the cap | gap median / max | r Σ\\|a\\| min / mean | r signed min / mean |");
        sb.AppendLine("| --- | ---: | ---: | --- | ---: | --- | --- | --- |");
        for (var v = 0; v < variants.Count; v++)
        {
            var st = steps[v];
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {variants[v].Label} | {seconds[v] / fixedSeconds:F2} | {st.Average():F1} | {st.Min()} / {Quantile(st.Select(k => (double)k).ToList(), 0.5)} / {st.Max()} | {st.Count(k => k == referenceSteps)} of {st.Count} | {Quantile(gaps[v], 0.5):G3} / {gaps[v].Max():G3} | {rAbs[v].Min():F5} / {rAbs[v].Average():F5} | {rSigned[v].Min():F5} / {rSigned[v].Average():F5} |");
        }

        sb.AppendLine();
        sb.AppendLine("r = Pearson correlation per image and member against the reference maps. Steps climb 8, 16, 32, then the cap (the reference's count); an image keeps the first rung whose gap |Σ attr − (f(x) − f(x'))| ≤ tolerance · |f(x) − f(x')|. Times: same process; every variant runs right after the reference on the same batch.");
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, $"ig_tolerance_{size}.md");
        File.WriteAllText(path, sb.ToString());
        Console.WriteLine(sb.ToString());
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
    }
}
