using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chorus.Torch.Attribution;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Benchmarks;

/// <summary>
/// <c>--shared-trunk</c>: the ensemble-averaged Input×Gradient and Integrated Gradients of members that share a frozen trunk,
/// member by member (n full forward + backward passes, then the mean) against <see cref="SharedTrunkExplainer"/> (one trunk
/// forward and backward, n head passes), in one process, interleaved round by round. Members: the ImageNet ResNet-18
/// (ONNX) with <c>--train-stages</c> stages trained (1: stem and layer1–layer3 shared), each with layer4 perturbed and the
/// head re-initialised from its own seed (timing needs no training). Reports the time ratio, the max |difference| of the
/// averaged maps, and the ratio predicted from the trunk's and the head's forward times. Writes
/// bench/results/shared_trunk_&lt;size&gt;.md.
/// </summary>
/// <remarks>
/// Usage: <c>--shared-trunk [--size 224] [--members 11] [--images 4] [--train-stages 1] [--ig-steps 16]
/// [--ig-internal-batch-size 20] [--rounds 2] [--layout channels-last|nchw] [--threads 2] [--out bench/results]</c>.
/// </remarks>
internal static class SharedTrunkBench
{
    private const int Classes = 8;

    public static int Run(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int dflt) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : dflt;
        var size = Int("--size", 224);
        var count = Int("--members", 11);
        var images = Int("--images", 4);
        var trainStages = Int("--train-stages", 1);
        var igSteps = Int("--ig-steps", 16);
        var internalBatch = Int("--ig-internal-batch-size", 20);
        var rounds = Int("--rounds", 2);
        var layout = MemoryLayoutNames.Parse(Get("--layout") ?? "channels-last");
        var outDir = Get("--out") ?? Path.Combine("bench", "results");
        torch.set_num_threads(Int("--threads", 2));
        var loadStart = PrecisionBench.Load();
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"shared-trunk: {BackboneSpec.ResNet18ImageNet} {size}px, {count} members, train-stages {trainStages}, {images} images, IG {igSteps} steps (internal batch {internalBatch}), {layout.ToCliName()}, {torch.get_num_threads()} threads, load {loadStart}"));

        var members = new List<BackboneClassifier>();
        for (var m = 0; m < count; m++)
        {
            members.Add(Member(m, trainStages));
        }

        torch.manual_seed(0);
        using var x = rand(images, 3, size, size);
        using var t = randint(Classes, [images], dtype: ScalarType.Int64);
        var ig = new IntegratedGradientsOptions(igSteps, InternalBatchSize: internalBatch);
        var explainer = new SharedTrunkExplainer(members, layout);

        // Each path returns the ensemble's averaged [N,3,H,W] attribution.
        Tensor PerMember(IAttributionMethod method)
        {
            Tensor? sum = null;
            foreach (var member in members)
            {
                using var scope = NewDisposeScope();
                var a = new LayoutAttribution(method, layout).Attribute(member, x, t);
                sum = sum is null ? a.MoveToOuterDisposeScope() : sum.add_(a);
            }

            return sum!.div_(members.Count);
        }

        var cases = new (string Name, Func<Tensor> PerMember, Func<Tensor> Shared)[]
        {
            ("Input×Gradient", () => PerMember(new InputXGradient()), () => explainer.InputXGradient(x, t)),
            (string.Create(inv, $"Integrated Gradients ({igSteps} steps)"), () => PerMember(new IntegratedGradients(ig)), () => explainer.IntegratedGradients(x, t, ig)),
        };

        // Warm-up (oneDNN primitives, the numerics probes and model check), untimed.
        using (NewDisposeScope())
        {
            cases[0].PerMember();
            cases[0].Shared();
        }

        var (trunkSeconds, headSeconds) = ForwardShares(members[0], x, layout);
        var predicted = (trunkSeconds + (count * headSeconds)) / (count * (trunkSeconds + headSeconds));
        Console.WriteLine(string.Create(inv, $"forward: trunk {trunkSeconds * 1000:F0} ms, head {headSeconds * 1000:F0} ms for {images} images: predicted shared ÷ per-member {predicted:F3}"));

        var results = new List<(string Name, List<double> PerMember, List<double> Shared, double MaxDiff, double MaxValue)>();
        foreach (var (name, perMember, shared) in cases)
        {
            var tp = new List<double>();
            var ts = new List<double>();
            double maxDiff = 0, maxValue = 0;
            for (var r = 0; r < rounds; r++)
            {
                using var scope = NewDisposeScope();
                Tensor a, b;
                if (r % 2 == 0)
                {
                    (a, var s1) = Timed(perMember);
                    (b, var s2) = Timed(shared);
                    tp.Add(s1);
                    ts.Add(s2);
                }
                else
                {
                    (b, var s2) = Timed(shared);
                    (a, var s1) = Timed(perMember);
                    tp.Add(s1);
                    ts.Add(s2);
                }

                maxDiff = Math.Max(maxDiff, (a - b).abs().max().item<float>());
                maxValue = Math.Max(maxValue, a.abs().max().item<float>());
                Console.WriteLine(string.Create(inv, $"  {name} round {r + 1}: per-member {tp[^1]:F2} s, shared trunk {ts[^1]:F2} s, ratio {ts[^1] / tp[^1]:F3}, max |diff| {maxDiff:G3} (max |value| {maxValue:G3}), load {PrecisionBench.Load()}"));
            }

            results.Add((name, tp, ts, maxDiff, maxValue));
        }

        var loadEnd = PrecisionBench.Load();
        var (cpuModel, cpuFlags) = TrainBench.Lscpu();
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"# Shared-trunk explanation: ResNet-18 ImageNet, {size} px, {count} members sharing a frozen trunk");
        sb.AppendLine();
        sb.AppendLine(inv, $"`{BackboneSpec.ResNet18ImageNet}` (ONNX) with `--train-stages {trainStages}` ({(trainStages == 1 ? "stem and layer1–layer3 shared; layer4 and the head per member" : $"the last {trainStages} stages per member")}), {Classes}-class heads; member m: layer4 perturbed (seeded noise, 0.2 × each tensor's std) and the head re-initialised from seed m, eval mode. {images} images `rand` (seed 0), random targets. {layout.ToCliName()}, {torch.get_num_threads()} threads, Integrated Gradients {igSteps} Gauss–Legendre steps, internal batch {internalBatch} (the study's 1 Mpx per pass at 224 px). Load average {loadStart} at start, {loadEnd} at end.");
        sb.AppendLine();
        sb.AppendLine("Per-member: each member's own method (`LayoutAttribution` over `InputXGradient` / `IntegratedGradients`, borrowing the member per call), summed and divided by n. Shared trunk: `SharedTrunkExplainer` (one trunk forward and one trunk backward per pass, each head's gradient at the cut averaged; borrows every member per call). Rounds alternate which path runs first.");
        sb.AppendLine();
        sb.AppendLine("| method | per-member s (rounds) | shared trunk s (rounds) | shared ÷ per-member (median) | max \\|difference\\| of the averaged maps | ÷ max \\|value\\| |");
        sb.AppendLine("| --- | --- | --- | ---: | ---: | ---: |");
        foreach (var (name, tp, ts, maxDiff, maxValue) in results)
        {
            sb.AppendLine(inv, $"| {name} | {string.Join(" / ", tp.Select(v => v.ToString("F2", inv)))} | {string.Join(" / ", ts.Select(v => v.ToString("F2", inv)))} | {Median(ts) / Median(tp):F3} | {maxDiff:G3} | {maxDiff / maxValue:G3} |");
        }

        sb.AppendLine();
        sb.AppendLine(inv, $"Predicted from the forward passes alone (no grad, {images} images, median of 5): trunk {trunkSeconds * 1000:F0} ms, one head {headSeconds * 1000:F0} ms, (trunk + n·head) ÷ (n·(trunk + head)) = **{predicted:F3}**.");
        sb.AppendLine();
        sb.AppendLine(inv, $"CPU (`lscpu`): {cpuModel}");
        sb.AppendLine();
        sb.AppendLine(inv, $"Flags: {cpuFlags}");
        sb.AppendLine();
        sb.AppendLine(inv, $"Command: `dotnet run -c Release --project bench/Chorus.Benchmarks -- {string.Join(' ', args)}`");
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, string.Create(inv, $"shared_trunk_{size}.md"));
        File.WriteAllText(path, sb.ToString());
        Console.WriteLine(sb.ToString());
        Console.WriteLine($"wrote {path}");
        foreach (var m in members)
        {
            m.Dispose();
        }

        return 0;
    }

    private static BackboneClassifier Member(int m, int trainStages)
    {
        var model = (BackboneClassifier)new BackboneSpec(BackboneSpec.ResNet18ImageNet, TrainStages: trainStages).Create(Classes);
        using var generator = new Generator((ulong)m);
        model.ResetHead(generator);
        var trained = model.Backbone.Stages.TakeLast(trainStages).SelectMany(s => s).ToHashSet(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var (_, p) in model.Backbone.Module.named_parameters().Where(p => trained.Contains(p.name)))
            {
                using var scope = NewDisposeScope();
                p.add_(randn(p.shape, generator: generator) * (0.2 * p.std().item<float>()));
            }
        }

        model.eval();
        return model;
    }

    // Forward seconds of the trunk and of one head (trained stages + head) for x, no grad, median of 5, in the layout.
    private static (double Trunk, double Head) ForwardShares(BackboneClassifier model, Tensor x, MemoryLayout layout)
    {
        using var borrowed = layout == MemoryLayout.ChannelsLast ? new ChannelsLastClassifier(model) : null;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var input = layout == MemoryLayout.ChannelsLast ? ChannelsLastClassifier.ToChannelsLast(x) : x;
        var trunk = new List<double>();
        var head = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var sw = Stopwatch.StartNew();
            var z = model.TrunkForward(input);
            var t1 = sw.Elapsed.TotalSeconds;
            sw.Restart();
            _ = model.ForwardFromTrunk(z).sum().item<float>();
            var t2 = sw.Elapsed.TotalSeconds;
            if (i > 0)
            {
                trunk.Add(t1);
                head.Add(t2);
            }
        }

        return (Median(trunk), Median(head));
    }

    private static (Tensor Result, double Seconds) Timed(Func<Tensor> run)
    {
        var sw = Stopwatch.StartNew();
        var result = run();
        _ = result.sum().item<float>();
        return (result, sw.Elapsed.TotalSeconds);
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
