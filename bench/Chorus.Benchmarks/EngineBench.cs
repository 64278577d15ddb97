using Chorus.Torch.Models;
using System.Diagnostics;
using System.Globalization;
using Chorus.Torch.Attribution;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Benchmarks;

/// <summary>
/// <c>--engine</c>: the engine pass (forward + input gradient) of ResNet-18 in several variants, interleaved in one
/// process (BatchNorm folding, frozen parameters, channels-last), written to <c>bench/results/engine_&lt;size&gt;.md</c>.
/// <c>--engine --model NAME [--method M [--internal-batch-size N]]</c>: NCHW vs <see cref="ChannelsLastClassifier"/> on one of Chorus's classifiers
/// (small-cnn, resnet18-imagenet, resnet18, ...), with the gradient difference, for the forward + input gradient or a
/// named method; what the default <see cref="MemoryLayout.ChannelsLast"/> is based on.
/// </summary>
internal static class EngineBench
{
    public static int Run(string[] args)
    {
        int Int(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var threads = Int("--threads", 2);
        var batch = Int("--batch", 8);
        var size = Int("--size", 224);
        var repeats = Int("--repeats", 5);
        torch.set_num_threads(threads);
        if (Array.IndexOf(args, "--model") is var mi and >= 0 && mi + 1 < args.Length)
        {
            var method = Array.IndexOf(args, "--method") is var mm and >= 0 && mm + 1 < args.Length ? args[mm + 1] : null;
            int? internalBatch = Array.IndexOf(args, "--internal-batch-size") is var ib and >= 0 && ib + 1 < args.Length ? int.Parse(args[ib + 1], CultureInfo.InvariantCulture) : null;
            return CompareLayouts(args[mi + 1], batch, size, repeats, method, internalBatch);
        }

        var load = File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        var gemm = GemmGflops(repeats);
        torch.manual_seed(0);
        var resnet = torchvision.models.resnet18(num_classes: 1000);
        resnet.eval();
        var x = torch.randn(batch, 3, size, size);
        var target = torch.randint(1000, [batch], dtype: ScalarType.Int64);

        // The same weights four ways: the module as Captum's peer runs it (parameters requiring grad), the module with
        // frozen parameters, BatchNorm folded into the convolutions (eval semantics), and ChannelsLastClassifier.
        var frozen = new ResNetClassifier(0);
        foreach (var p in frozen.Module.parameters())
        {
            p.requires_grad_(false);
        }

        var folded = new FoldedResNet(resnet);
        var foldedCl = new FoldedResNet(resnet);
        foldedCl.ToChannelsLast();
        var xcl = ChannelsLastClassifier.ToChannelsLast(x);
        var channelsLast = new ChannelsLastClassifier(new ResNetClassifier(0));
        Check("folded BN", resnet.call(x), folded.Forward(x));
        Check("channels-last", resnet.call(x), channelsLast.Forward(x));

        Func<Tensor> FwdOf(Func<Tensor, Tensor> f, Tensor input) => () => { using var ng = torch.no_grad(); return f(input); };
        Func<Tensor> GradOf(Func<Tensor, Tensor> f, Tensor input) => () =>
        {
            using var g = torch.enable_grad();
            var xi = input.detach().requires_grad_(true);
            var s = f(xi).gather(1, target.unsqueeze(1)).sum();
            return torch.autograd.grad([s], [xi])[0];
        };

        var variants = new (string Name, Func<Tensor> Run)[]
        {
            ("forward, no grad", FwdOf(resnet.call, x)),
            ("forward, no grad, BN folded", FwdOf(folded.Forward, x)),
            ("forward, no grad, channels-last", FwdOf(channelsLast.Forward, x)),
            ("fwd+input-grad, parameters require grad", GradOf(resnet.call, x)),
            ("fwd+input-grad, parameters frozen", GradOf(frozen.Forward, x)),
            ("fwd+input-grad, BN folded", GradOf(folded.Forward, x)),
            ("fwd+input-grad, BN folded + channels-last", GradOf(foldedCl.Forward, xcl)),
            ("fwd+input-grad, channels-last (ChannelsLastClassifier)", GradOf(channelsLast.Forward, x)),
        };

        // Interleaved rounds, so a drift in the machine's speed hits every variant alike.
        var times = variants.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r <= repeats; r++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                variants[v].Run();
                if (r > 0)
                {
                    times[v].Add(sw.Elapsed.TotalSeconds / batch);
                }
            }
        }

        var sb = new System.Text.StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Engine pass variants, TorchVision ResNet-18 {size}px, batch {batch}, {torch.get_num_threads()} threads");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Load at start {load}; GEMM (1×1 conv = 2048³) {gemm:F1} GFLOP/s; native allocator: {Chorus.Torch.NativeAllocator.Description}. Median of {repeats} interleaved rounds; ratio to the first gradient row.");
        sb.AppendLine();
        sb.AppendLine("| variant | median s/img | min s/img | ratio |");
        sb.AppendLine("| --- | ---: | ---: | ---: |");
        var unit = times[3].Order().ElementAt(times[3].Count / 2);
        for (var v = 0; v < variants.Length; v++)
        {
            var t = times[v].Order().ToList();
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {variants[v].Name} | {t[t.Count / 2]:F4} | {t[0]:F4} | {t[t.Count / 2] / unit:F2} |");
        }

        Console.Write(sb);
        var outDir = Array.IndexOf(args, "--out") is var oi and >= 0 && oi + 1 < args.Length ? args[oi + 1] : Path.Combine("bench", "results");
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, $"engine_{size}.md");
        File.WriteAllText(path, sb.ToString());
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    /// <summary>Plain vs <see cref="ChannelsLastClassifier"/> on one of Chorus's classifiers (a BackboneSpec name), interleaved.</summary>
    private static int CompareLayouts(string name, int batch, int size, int repeats, string? method, int? internalBatch)
    {
        var settings = new AttributionSettings
        {
            IntegratedGradients = new IntegratedGradientsOptions(InternalBatchSize: internalBatch),
            GradientShap = new GradientShapOptions(InternalBatchSize: internalBatch),
        };
        torch.manual_seed(0);
        using var model = new Chorus.Torch.Models.BackboneSpec(name).Create(10);
        model.Module.eval();
        var x = torch.rand(batch, 3, size, size);
        var target = torch.randint(10, [batch], dtype: ScalarType.Int64);
        using var optimizer = torch.optim.AdamW(model.Module.parameters(), 1e-4);
        Tensor Grad(Chorus.Torch.Models.IClassifier m)
        {
            if (method == "train-step")
            {
                // One training step as EnsembleTrainer takes it: forward, cross-entropy, full backward, AdamW.
                model.Module.train();
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(m.Forward(x), target);
                loss.backward();
                optimizer.step();
                model.Module.eval();
                return loss.detach();
            }

            if (method is not null)
            {
                using var gen = new Generator(0);
                return AttributionMethodFactory.Create(method, settings, gen).Attribute(m, x, target);
            }

            using var g = torch.enable_grad();
            var xi = x.detach().requires_grad_(true);
            var s = m.Forward(xi).gather(1, target.unsqueeze(1)).sum();
            return torch.autograd.grad([s], [xi])[0];
        }

        var reference = method == "train-step" ? torch.zeros(1) : Grad(model).contiguous();
        var times = new[] { new List<double>(), new List<double>() };
        for (var r = 0; r <= repeats; r++)
        {
            for (var v = 0; v < 2; v++)
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                using var cl = v == 1 ? new ChannelsLastClassifier(model) : null;
                var g = Grad(cl ?? model);
                if (r > 0)
                {
                    times[v].Add(sw.Elapsed.TotalSeconds / batch);
                }

                if (r == 0 && v == 1 && method != "train-step")
                {
                    var relL2 = ((g - reference).norm() / reference.norm()).item<float>();
                    Console.WriteLine($"{name} {size}px: {cl!.ConvertedTensors} weights converted; input gradient vs NCHW: relative L2 {relL2:E2}, max |diff| {(g - reference).abs().max().item<float>():E2} of max {reference.abs().max().item<float>():E2}");
                }
            }
        }

        var plain = times[0].Order().ToList()[repeats / 2];
        var channelsLast = times[1].Order().ToList()[repeats / 2];
        Console.WriteLine($"{name} {size}px batch {batch}: {method ?? "fwd+input-grad"}{(internalBatch is { } ibs ? $" (internal batch {ibs})" : string.Empty)} contiguous {plain:F4} s/img, channels-last (incl. conversion) {channelsLast:F4} s/img, ratio {channelsLast / plain:F2}");
        return 0;
    }

    /// <summary>
    /// The machine's realistic fp32 peak as the Captum peer script measured it: a 1×1 convolution that is a 2048³ GEMM
    /// (2048 channels in and out over 32×64 pixels), through oneDNN; median GFLOP/s of <paramref name="repeats"/> runs.
    /// </summary>
    public static double GemmGflops(int repeats)
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var a = torch.randn(1, 2048, 32, 64);
        var w = torch.randn(2048, 2048, 1, 1);
        return 2.0 * 2048 * 2048 * 2048 / Median(repeats, () => nn.functional.conv2d(a, w)) / 1e9;
    }

    private static void Check(string what, Tensor a, Tensor b)
    {
        var diff = (a - b).abs().max().item<float>();
        var scale = a.abs().max().item<float>();
        Console.WriteLine($"logits, {what} vs module: max |diff| {diff:E2} (max |logit| {scale:F3})");
    }

    private static double Median(int repeats, Func<Tensor> run)
    {
        using (NewDisposeScope())
        {
            run();
        }

        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            run();
            times.Add(sw.Elapsed.TotalSeconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>ResNet-18 with every BatchNorm folded into the preceding convolution (eval-mode semantics).</summary>
    private sealed class FoldedResNet
    {
        private readonly Dictionary<string, (Tensor W, Tensor B)> _convs = new();
        private readonly Tensor _fcW;
        private readonly Tensor _fcB;

        public FoldedResNet(nn.Module resnet)
        {
            var sd = resnet.state_dict();
            using var ng = torch.no_grad();
            void Fold(string conv, string bn)
            {
                var w = sd[conv + ".weight"];
                var scale = sd[bn + ".weight"] / (sd[bn + ".running_var"] + 1e-5).sqrt();
                var fw = (w * scale.reshape(-1, 1, 1, 1)).contiguous();
                var fb = (sd[bn + ".bias"] - sd[bn + ".running_mean"] * scale).contiguous();
                _convs[conv] = (fw, fb);
            }

            Fold("conv1", "bn1");
            foreach (var layer in new[] { "layer1", "layer2", "layer3", "layer4" })
            {
                for (var b = 0; b < 2; b++)
                {
                    var p = $"{layer}.{b}";
                    Fold(p + ".conv1", p + ".bn1");
                    Fold(p + ".conv2", p + ".bn2");
                    if (sd.ContainsKey(p + ".downsample.0.weight"))
                    {
                        Fold(p + ".downsample.0", p + ".downsample.1");
                    }
                }
            }

            _fcW = sd["fc.weight"];
            _fcB = sd["fc.bias"];
        }

        public void ToChannelsLast()
        {
            foreach (var k in _convs.Keys.ToList())
            {
                var (w, b) = _convs[k];
                _convs[k] = (w.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), b);
            }
        }

        private Tensor Conv(string name, Tensor x, long stride, long pad)
        {
            var (w, b) = _convs[name];
            return nn.functional.conv2d(x, w, b, strides: [stride, stride], padding: [pad, pad]);
        }

        public Tensor Forward(Tensor x)
        {
            x = nn.functional.relu(Conv("conv1", x, 2, 3));
            x = nn.functional.max_pool2d(x, [3, 3], [2, 2], [1, 1]);
            foreach (var (layer, stride) in new[] { ("layer1", 1L), ("layer2", 2L), ("layer3", 2L), ("layer4", 2L) })
            {
                for (var b = 0; b < 2; b++)
                {
                    var p = $"{layer}.{b}";
                    var s = b == 0 ? stride : 1;
                    var y = nn.functional.relu(Conv(p + ".conv1", x, s, 1));
                    y = Conv(p + ".conv2", y, 1, 1);
                    var idn = _convs.ContainsKey(p + ".downsample.0") ? Conv(p + ".downsample.0", x, s, 0) : x;
                    x = nn.functional.relu(y + idn);
                }
            }

            x = nn.functional.adaptive_avg_pool2d(x, [1, 1]).flatten(1);
            return nn.functional.linear(x, _fcW, _fcB);
        }
    }
}
