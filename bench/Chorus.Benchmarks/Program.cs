using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Benchmarks;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

// Seconds per image of each attribution method on a random-weight ResNet-18 (batch 8, 2 threads, eval mode), single
// model and an 11-member ensemble, next to the Captum 0.8 figures of bench/data/captum_baseline_<size>.json.
// Also: --fidelity (bf16 vs fp32 maps, PrecisionBench.cs), --ig-tolerance (adaptive IG vs 50 steps, IgToleranceBench.cs),
// --memory (peak RSS vs steps, MemoryBench.cs), --train (fine-tuning images/s against PyTorch in the same run, TrainBench.cs),
// --shared-trunk (Ens-Avg IxG and IG of members sharing a frozen trunk: per member vs one trunk backward, SharedTrunkBench.cs).
// Usage: dotnet run -c Release --project bench/Chorus.Benchmarks -- [--size 224|112] [--variant captum-like|fast]
//        [--models 11] [--repeats 3] [--ens-ig-steps 10] [--ens-gs-samples 20] [--ig-internal-batch-size 32]
//        [--precision fp32|bf16] [--layout channels-last|nchw] [--single-ig-steps 50] [--single-gs-samples 20] [--gs-internal-batch-size 32] [--threads 2] [--only single|ensemble] [--out bench/results]
//        --evaluation [--images 1000] [--models 11] [--methods 5]: Ens-Avg vs Exp-Avg evaluation time of precomputed maps (EvaluationBench).
// As the CLI does (Chorus.Torch.NativeAllocator): freed tensor memory is reused, not page-faulted in again.
// --default-allocator leaves glibc as it is (what the Captum peer ran with).
if (!args.Contains("--default-allocator"))
{
    Chorus.Torch.NativeAllocator.KeepFreedMemory();
}

Console.WriteLine($"native allocator: {Chorus.Torch.NativeAllocator.Description}");
if (args.Contains("--engine"))
{
    return EngineBench.Run(args);
}

if (args.Contains("--train"))
{
    return TrainBench.Run(args);
}

if (args.Contains("--evaluation"))
{
    EvaluationBench.Run(args);
    return 0;
}

if (args.Contains("--memory-child"))
{
    return MemoryBench.RunChild(args);
}

if (args.Contains("--memory"))
{
    return MemoryBench.Run(args);
}

if (args.Contains("--ig-tolerance"))
{
    return IgToleranceBench.Run(args);
}

if (args.Contains("--shared-trunk"))
{
    return SharedTrunkBench.Run(args);
}

if (args.Contains("--fidelity"))
{
    return PrecisionBench.Run(args);
}

var opts = Options.Parse(args);
torch.set_num_threads(opts.Threads);
var fast = opts.Variant == "fast";
var repoRoot = FindRepoRoot();
var peer = JsonNode.Parse(File.ReadAllText(Path.Combine(repoRoot, "bench", "data", $"captum_baseline_{opts.Size}.json")))!;
var peerMethods = peer["headline"]!["methods"]!;

Console.WriteLine($"ResNet-18 {opts.Size}px batch {opts.Batch}, {torch.get_num_threads()} threads, variant {opts.Variant}, load {LoadAvg()}");
torch.manual_seed(0);
var x = torch.randn(opts.Batch, 3, opts.Size, opts.Size);
var target = torch.randint(1000, [opts.Batch], dtype: ScalarType.Int64);
var gsRef = torch.randn(opts.Batch, 3, opts.Size, opts.Size) * 0.1;
var gsRefs = new List<Baseline> { Baseline.Zeros, Baseline.FromTensor(gsRef) };

var models = Enumerable.Range(0, opts.Only == "single" ? 1 : opts.Models).Select(i => new ResNetClassifier(i)).ToList();
if (fast)
{
    // Parameters never need gradients in attribution; without requires_grad autograd saves less in the forward.
    foreach (var m in models)
    {
        foreach (var p in m.Module.parameters())
        {
            p.requires_grad_(false);
        }
    }
}

// --precision bf16: every model runs in bfloat16 for the whole benchmark (converted once; maps float32).
var precision = PrecisionNames.Parse(Array.IndexOf(args, "--precision") is var pi and >= 0 && pi + 1 < args.Length ? args[pi + 1] : "fp32");
// --layout (default: channels-last for the fast variant, as explain/demo do; nchw for captum-like): channels-last borrows each
// model once for the whole benchmark (ChannelsLastClassifier), as EnsembleExplainer borrows each member once.
var classifiers = models
    .Select(m => precision == Precision.BFloat16 ? new BFloat16Classifier(m) : (IClassifier)m)
    .Select(m => (IClassifier?)opts.Layout.Borrow(m, x) ?? m)
    .ToList();

// The engine's plain pass (NCHW, model of member 0's seed, parameters as the variant sets them): the normalising unit.
var rawModel = new ResNetClassifier(0);
foreach (var p in rawModel.Module.parameters())
{
    p.requires_grad_(!fast);
}

// The machine's fp32 GEMM rate, measured as the peer measured its own (1x1 conv = 2048^3 GEMM through oneDNN).
var gemm = EngineBench.GemmGflops(5);
var peerGemm = peer["matmul"]!["onednn_conv1x1_gemm"]!["gflops"]!.GetValue<double>();
Console.WriteLine($"GEMM: {gemm:F1} GFLOP/s here, {peerGemm:F1} on the peer's machine");

IAttributionMethod Method(string name, int igSteps, int gsSamples, Generator gen) => name switch
{
    "Saliency" => new Saliency(new SaliencyOptions(true)),
    "InputXGradient" => new InputXGradient(),
    "IntegratedGradients" => new IntegratedGradients(new IntegratedGradientsOptions(igSteps, IntegrationRule.GaussLegendre, null, opts.IgInternalBatchSize)),
    "GradientShap" => new GradientShap(gen, new GradientShapOptions(gsRefs, gsSamples, 0.0, opts.GsInternalBatchSize)),
    "LayerGradCam_layer4_upsampled" => new GradCam(new GradCamOptions("layer4", false, CamUpsample.Bilinear)),
    _ => throw new ArgumentException(name),
};

// The engine's own speed in the same conditions: forward + gradient w.r.t. the input, no Chorus code. Dividing each
// method by it (here and in the peer file) gives a load-independent overhead figure.
Tensor RawGrad()
{
    using var grad = torch.enable_grad();
    var xi = x.detach().requires_grad_(true);
    var score = rawModel.Forward(xi).gather(1, target.unsqueeze(1)).sum();
    return torch.autograd.grad([score], [xi])[0];
}

var peerRaw = peer["throughput"]!["forward_plus_input_grad"]!["median_s"]!.GetValue<double>() / opts.Batch;

string[] names = ["Saliency", "InputXGradient", "LayerGradCam_layer4_upsampled", "IntegratedGradients", "GradientShap"];
var rows = new List<Row>();

// Warm-up: one forward + input gradient per model (allocator, oneDNN primitive caches).
foreach (var m in classifiers)
{
    using var s = NewDisposeScope();
    new Saliency().Attribute(m, x, target);
}

if (opts.Only != "ensemble")
{
    foreach (var name in names)
    {
        var heavy = name is "IntegratedGradients" or "GradientShap";
        var (nominal, measured) = name switch
        {
            "IntegratedGradients" => (50, opts.SingleIgSteps),
            "GradientShap" => (20, opts.SingleGsSamples),
            _ => (1, 1),
        };
        using var gen = new Generator(0);
        var method = Method(name, name == "IntegratedGradients" ? measured : 50, name == "GradientShap" ? measured : 20, gen);
        var raw = Time(opts.Repeats, RawGrad);
        var times = Time(heavy ? 1 : opts.Repeats, () => method.Attribute(classifiers[0], x, target));
        rows.Add(Row.Make("single", name, times, opts.Batch, nominal, measured, peerMethods[name]?["s_per_img_single"]?.GetValue<double>()).WithRaw(raw, opts.Batch, peerRaw));
        Console.WriteLine(rows[^1]);
    }
}

if (opts.Only != "single")
{
    foreach (var name in names)
    {
        var (nominal, measured) = name switch
        {
            "IntegratedGradients" => (50, opts.EnsIgSteps),
            "GradientShap" => (20, opts.EnsGsSamples),
            _ => (1, 1),
        };
        using var gen = new Generator(0);
        var method = Method(name, name == "IntegratedGradients" ? measured : 50, name == "GradientShap" ? measured : 20, gen);
        var raw = Time(opts.Repeats, RawGrad);
        var times = Time(1, () => Ensemble(classifiers, m => method.Attribute(m, x, target)));
        rows.Add(Row.Make("ensemble", name, times, opts.Batch, nominal, measured, peerMethods[name]?["s_per_img_ensemble"]?.GetValue<double>()).WithRaw(raw, opts.Batch, peerRaw));
        Console.WriteLine(rows[^1]);
    }

    // One backward per model gives Saliency, Input×Gradient and Grad-CAM together (FusedGradientPass).
    var peerFused = new[] { "Saliency", "InputXGradient", "LayerGradCam_layer4_upsampled" }.Sum(n => peerMethods[n]!["s_per_img_ensemble"]!.GetValue<double>());
    var fusedRaw = Time(opts.Repeats, RawGrad);
    var fusedTimes = Time(1, () =>
    {
        var cam = new GradCamOptions("layer4", false, CamUpsample.Bilinear);
        Tensor? sal = null, ixg = null, map = null;
        foreach (var m in classifiers)
        {
            using var pass = FusedGradientPass.Compute(m, x, target, new FusedPassOptions(true, cam));
            sal = sal is null ? pass.Saliency.clone() : sal.add_(pass.Saliency);
            ixg = ixg is null ? pass.InputXGradient.clone() : ixg.add_(pass.InputXGradient);
            map = map is null ? pass.GradCam.clone() : map.add_(pass.GradCam);
        }

        return torch.stack([sal!.sum(), ixg!.sum(), map!.sum()]).div_(models.Count);
    });
    rows.Add(Row.Make("ensemble", "Fused(Saliency+InputXGradient+GradCam)", fusedTimes, opts.Batch, 1, 1, peerFused).WithRaw(fusedRaw, opts.Batch, peerRaw));
    Console.WriteLine(rows[^1]);
}

var load = LoadAvg();
Console.WriteLine($"load at end {load}");

// This machine's CPU speed drifts (a shared VM: GEMM measured 77-147 GFLOP/s within one hour), so the GEMM rate is
// measured at both ends and averaged.
var gemmEnd = EngineBench.GemmGflops(5);
Console.WriteLine($"GEMM at end: {gemmEnd:F1} GFLOP/s");
gemm = (gemm + gemmEnd) / 2;
Directory.CreateDirectory(opts.Out);
var stem = Path.Combine(opts.Out, $"bench_{opts.Size}_{opts.Variant}{(precision == Precision.BFloat16 ? "_bf16" : string.Empty)}");
var json = new JsonObject
{
    ["benchmark"] = "chorus_resnet18_cpu",
    ["argv"] = new JsonArray(args.Select(a => (JsonNode)a!).ToArray()),
    ["config"] = new JsonObject
    {
        ["model"] = "TorchVision 0.107.0 resnet18(num_classes: 1000), random init (seeds 0..M-1), eval mode",
        ["size"] = opts.Size, ["batch"] = opts.Batch, ["threads"] = torch.get_num_threads(), ["models"] = models.Count,
        ["variant"] = opts.Variant, ["precision"] = precision.ToCliName(), ["layout"] = opts.Layout.ToCliName(), ["ig_internal_batch_size"] = opts.IgInternalBatchSize, ["gs_internal_batch_size"] = opts.GsInternalBatchSize,
        ["single_ig_steps_measured"] = opts.SingleIgSteps, ["single_gs_samples_measured"] = opts.SingleGsSamples,
        ["ensemble_ig_steps_measured"] = opts.EnsIgSteps, ["ensemble_gs_samples_measured"] = opts.EnsGsSamples,
        ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString(),
    },
    ["machine"] = new JsonObject { ["nproc"] = Environment.ProcessorCount, ["loadavg_start"] = opts.StartLoad, ["loadavg_end"] = load, ["gemm_gflops"] = gemm, ["peer_gemm_gflops"] = peerGemm },
    ["peer"] = $"bench/data/captum_baseline_{opts.Size}.json",
    ["rows"] = JsonSerializer.SerializeToNode(rows),
};
File.WriteAllText(stem + ".json", json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
File.WriteAllText(stem + ".md", Markdown(rows, opts, load, gemm, peerGemm));
Console.WriteLine($"wrote {stem}.json and {stem}.md");
return 0;

static Tensor Ensemble(List<IClassifier> models, Func<IClassifier, Tensor> attribute)
{
    Tensor? sum = null;
    foreach (var m in models)
    {
        using var scope = NewDisposeScope();
        var a = attribute(m);
        sum = sum is null ? a.MoveToOuterDisposeScope() : sum.add_(a);
    }

    return sum!.div_(models.Count);
}

static (List<double> Wall, List<double> Cpu) Time(int repeats, Func<Tensor> run)
{
    var times = new List<double>();
    var cpu = new List<double>();
    var process = Process.GetCurrentProcess();
    for (var i = 0; i < repeats; i++)
    {
        using var scope = NewDisposeScope();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = run();
        _ = result.sum().item<float>();
        times.Add(sw.Elapsed.TotalSeconds);
        process.Refresh();
        cpu.Add((process.TotalProcessorTime - cpu0).TotalSeconds);
    }

    return (times, cpu);
}

static string LoadAvg() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? Directory.GetCurrentDirectory();
}

static string Markdown(List<Row> rows, Options opts, string load, double gemm, double peerGemm)
{
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"# Chorus vs Captum 0.8, ResNet-18 {opts.Size}px, batch {opts.Batch}, {opts.Threads} threads, variant `{opts.Variant}`, layout `{opts.Layout.ToCliName()}`");
    sb.AppendLine();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Load average: start {opts.StartLoad}, end {load}. Seconds per image (median of repeats); ratio = Chorus / Captum (< 1: Chorus faster).");
    sb.AppendLine();
    sb.AppendLine("Normalised ratio = (Chorus / our plain NCHW fwd+input-grad measured just before) / (Captum / Captum fwd+input-grad): cost in units of each side's plain engine pass, insensitive to load (layout gains show here).");
    sb.AppendLine();
    sb.AppendLine(CultureInfo.InvariantCulture, $"GEMM-scaled ratio = wall ratio × (our GEMM rate / the peer machine's): the wall ratio on hardware of the peer's fp32 speed. GEMM (1×1 conv = 2048³, oneDNN): {gemm:F1} GFLOP/s here, {peerGemm:F1} on the peer's machine.");
    sb.AppendLine();
    sb.AppendLine("| scope | method | Chorus s/img (wall) | Chorus CPU s/img | Captum s/img (wall) | ratio (wall) | GEMM-scaled ratio | raw fwd+grad s/img | normalised ratio | note |");
    sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    foreach (var r in rows)
    {
        var scaled = r.Ratio is { } ratio ? (ratio * gemm / peerGemm).ToString("F2", CultureInfo.InvariantCulture) : "n/a";
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Scope} | {r.Method} | {r.SecondsPerImage:F4} | {r.CpuSecondsPerImage:F4} | {r.PeerSecondsPerImage?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a"} | {r.Ratio?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a"} | {scaled} | {r.RawSecondsPerImage:F4} | {r.NormalisedRatio?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a"} | {r.Note} |");
    }

    return sb.ToString();
}

internal sealed record Row(string Scope, string Method, double SecondsPerImage, double CpuSecondsPerImage, double[] BatchSeconds, double? PeerSecondsPerImage, double? Ratio, string Note)
{
    /// <summary>Our forward+input-gradient seconds per image measured just before this row (no Chorus code).</summary>
    public double? RawSecondsPerImage { get; init; }

    /// <summary>(ours / our raw) / (Captum / peer raw): the method's cost in engine units relative to Captum's; load-independent.</summary>
    public double? NormalisedRatio { get; init; }

    public Row WithRaw((List<double> Wall, List<double> Cpu) raw, int batch, double peerRaw)
    {
        var r = raw.Wall.Order().ElementAt(raw.Wall.Count / 2) / batch;
        return this with { RawSecondsPerImage = r, NormalisedRatio = PeerSecondsPerImage is { } p ? SecondsPerImage / r / (p / peerRaw) : null };
    }

    public static Row Make(string scope, string method, (List<double> Wall, List<double> Cpu) t, int batch, int nominal, int measured, double? peer)
    {
        var times = t.Wall;
        var sorted = times.Order().ToArray();
        var perImage = sorted[sorted.Length / 2] / batch * nominal / measured;
        var cpuPerImage = t.Cpu.Order().ElementAt(t.Cpu.Count / 2) / batch * nominal / measured;
        var note = nominal != measured ? $"measured with {measured}, extrapolated linearly x{nominal}/{measured}" : $"{times.Count} run(s)";
        return new Row(scope, method, perImage, cpuPerImage, [.. times], peer, peer is { } p ? perImage / p : null, note);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Scope,-9} {Method,-40} {SecondsPerImage,9:F4} s/img  cpu {CpuSecondsPerImage,9:F4}  captum {PeerSecondsPerImage,9:F4}  ratio {Ratio,5:F2}  raw {RawSecondsPerImage,7:F4} norm.ratio {NormalisedRatio,5:F2}  ({Note}) load {File.ReadAllText("/proc/loadavg")[..14]}");
}

internal sealed record Options(int Size, int Batch, int Threads, int Models, int Repeats, int EnsIgSteps, int EnsGsSamples, int SingleIgSteps, int SingleGsSamples, int? IgInternalBatchSize, int? GsInternalBatchSize, string Variant, MemoryLayout Layout, string? Only, string Out, string StartLoad)
{
    public static Options Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int dflt) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : dflt;
        var variant = Get("--variant") ?? "captum-like";
        if (variant is not ("captum-like" or "fast"))
        {
            throw new ArgumentException("--variant must be captum-like or fast");
        }

        var load = File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        return new Options(
            Int("--size", 224), Int("--batch", 8), Int("--threads", 2), Int("--models", 11), Int("--repeats", 3),
            Int("--ens-ig-steps", 10), Int("--ens-gs-samples", 20), Int("--single-ig-steps", 50), Int("--single-gs-samples", 20), Int("--ig-internal-batch-size", 32), Int("--gs-internal-batch-size", 32),
            variant, MemoryLayoutNames.Parse(Get("--layout") ?? (variant == "fast" ? "channels-last" : "nchw")), Get("--only"), Get("--out") ?? Path.Combine("bench", "results"), load);
    }
}
