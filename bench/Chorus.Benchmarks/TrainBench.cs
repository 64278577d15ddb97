using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Benchmarks;

/// <summary>
/// <c>--train</c>: fine-tuning throughput (images/s) of ResNet-18 at 224 px, Chorus (TorchSharp) against PyTorch on the
/// same machine in one run. One step = zero_grad, forward in train mode, cross-entropy, full backward, AdamW step
/// (lr 1e-3, weight decay 1e-4) on a fixed random batch, 8 classes, random weights (seed 0). Both layouts: NCHW and
/// channels-last (Chorus: <see cref="ChannelsLastClassifier"/>, as <c>EnsembleTrainer</c> borrows a member; PyTorch:
/// <c>model.to(memory_format=torch.channels_last)</c>). The PyTorch peer is <c>bench/peer/train_resnet18.py</c>, run
/// as a child process (<c>/usr/bin/python3</c>, Debian's python3-torch); Chorus and PyTorch rounds are interleaved,
/// in reversed order every other round, so that a drift of the machine's speed hits both sides alike.
/// Writes <c>train_&lt;size&gt;.md</c> and <c>.json</c>.
/// Usage: <c>--train [--batch 32] [--steps 5] [--warmup 2] [--threads 2] [--rounds 2] [--size 224]
/// [--python /usr/bin/python3] [--no-peer] [--out bench/results]</c>.
/// </summary>
internal static class TrainBench
{
    private const int Classes = 8;

    public static int Run(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var batch = Int("--batch", 32);
        var steps = Int("--steps", 5);
        var warmup = Int("--warmup", 2);
        var threads = Int("--threads", 2);
        var rounds = Int("--rounds", 2);
        var size = Int("--size", 224);
        var python = Get("--python") ?? "/usr/bin/python3";
        var outDir = Get("--out") ?? Path.Combine("bench", "results");
        if (batch < 1 || steps < 1 || warmup < 0 || rounds < 1)
        {
            Console.Error.WriteLine("--train: --batch, --steps and --rounds must be >= 1, --warmup >= 0");
            return 2;
        }

        torch.set_num_threads(threads);
        var loadStart = LoadAvg();
        var (cpuModel, cpuFlags) = Lscpu();
        var script = Path.Combine(RepoRoot(), "bench", "peer", "train_resnet18.py");
        var peerProblem = args.Contains("--no-peer") ? "skipped (--no-peer)" : PeerProblem(python, script);
        if (peerProblem is not null)
        {
            Console.WriteLine($"PyTorch peer not available: {peerProblem}");
            Console.WriteLine("  install it with: apt-get install -y python3-torch python3-torchvision   (Debian 12: PyTorch 1.13.1)");
            Console.WriteLine("  writing the Chorus rows only.");
        }

        Console.WriteLine($"ResNet-18 fine-tuning {size}px, batch {batch}, {warmup} warm-up + {steps} timed steps, {torch.get_num_threads()} threads, {rounds} round(s); load {loadStart}");
        var cells = new (string Engine, string Layout)[]
        {
            ("Chorus", "nchw"), ("Chorus", "channels-last"), ("PyTorch", "nchw"), ("PyTorch", "channels-last"),
        };
        var results = cells.ToDictionary(c => c, _ => new Cell());
        JsonNode? peerInfo = null;
        for (var r = 0; r < rounds; r++)
        {
            // ABBA: every other round runs the cells in reverse order.
            foreach (var c in r % 2 == 0 ? cells : Enumerable.Reverse(cells))
            {
                var cell = results[c];
                if (c.Engine == "Chorus")
                {
                    var (seconds, losses) = ChorusRound(c.Layout == "channels-last", batch, size, warmup, steps);
                    cell.Add(seconds, batch);
                    cell.Losses.Add([.. losses]);
                }
                else if (peerProblem is null)
                {
                    var json = PeerRound(python, script, c.Layout == "channels-last", batch, size, warmup, steps, threads, out var error);
                    if (json is null)
                    {
                        peerProblem = error;
                        Console.WriteLine($"PyTorch peer failed: {error}; writing the Chorus rows only.");
                        continue;
                    }

                    peerInfo ??= json;
                    cell.Add(json["step_seconds"]!.AsArray().Select(s => s!.GetValue<double>()).ToList(), batch);
                    cell.Losses.Add(json["losses"]!.AsArray().Select(s => s!.GetValue<double>()).ToArray());
                }
                else
                {
                    continue;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: {c.Engine,-7} {c.Layout,-13} {cell.RoundMedians[^1],7:F2} images/s (median of {steps} steps)  load {LoadAvg()}"));
            }
        }

        var loadEnd = LoadAvg();
        Console.WriteLine($"load at end {loadEnd}");
        var md = Markdown(results, cells, batch, size, warmup, steps, threads, rounds, loadStart, loadEnd, cpuModel, cpuFlags, peerProblem, peerInfo);
        Console.Write(md);
        Directory.CreateDirectory(outDir);
        var stem = Path.Combine(outDir, $"train_{size}");
        var jsonOut = new JsonObject
        {
            ["benchmark"] = "chorus_vs_pytorch_resnet18_finetune_cpu",
            ["argv"] = new JsonArray(args.Select(a => (JsonNode)a!).ToArray()),
            ["config"] = new JsonObject
            {
                ["model"] = $"ResNet-18 (torchvision layout), random weights seed 0, {Classes}-class fc, train mode",
                ["chorus_model"] = $"TorchVision {typeof(torchvision).Assembly.GetName().Version} torchvision.models.resnet18(num_classes: {Classes})",
                ["step"] = "zero_grad (in place), forward, cross_entropy, backward, AdamW(lr 1e-3, weight_decay 1e-4)",
                ["input"] = $"randn({batch},3,{size},{size}), randint({Classes}) labels, seed 0, the same batch every step",
                ["size"] = size, ["batch"] = batch, ["warmup"] = warmup, ["steps"] = steps, ["rounds"] = rounds, ["threads"] = torch.get_num_threads(),
                ["chorus_channels_last"] = "ChannelsLastClassifier (weights channels-last while borrowed, input converted every step; optimizer created after the conversion, as EnsembleTrainer does)",
                ["native_allocator"] = Chorus.Torch.NativeAllocator.Description,
                ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString(),
                ["peer_script"] = "bench/peer/train_resnet18.py",
                ["python"] = python,
            },
            ["machine"] = new JsonObject
            {
                ["nproc"] = Environment.ProcessorCount, ["loadavg_start"] = loadStart, ["loadavg_end"] = loadEnd,
                ["lscpu_model_name"] = cpuModel, ["lscpu_flags"] = cpuFlags,
            },
            ["peer_problem"] = peerProblem,
            ["busy_warning"] = BusyWarning(results, loadStart, loadEnd),
            ["peer_versions"] = peerInfo?["versions"]?.DeepClone(),
            ["rows"] = new JsonArray(cells.Where(c => results[c].StepSeconds.Count > 0).Select(c => (JsonNode)new JsonObject
            {
                ["engine"] = c.Engine, ["layout"] = c.Layout,
                ["images_per_s_median"] = results[c].Median, ["images_per_s_mean"] = results[c].Mean, ["images_per_s_best_step"] = results[c].Best,
                ["round_medians"] = new JsonArray(results[c].RoundMedians.Select(v => (JsonNode)v!).ToArray()),
                ["step_seconds"] = new JsonArray(results[c].StepSeconds.Select(v => (JsonNode)v!).ToArray()),
                ["losses_per_round"] = new JsonArray(results[c].Losses.Select(l => (JsonNode)new JsonArray(l.Select(v => (JsonNode)v!).ToArray())).ToArray()),
            }).ToArray()),
            ["ratios_chorus_over_pytorch"] = new JsonObject
            {
                ["nchw"] = Ratio(results, "nchw", "nchw"),
                ["channels-last"] = Ratio(results, "channels-last", "channels-last"),
                ["best_layout_each"] = BestRatio(results),
                ["nchw_best_step"] = Ratio(results, "nchw", "nchw", best: true),
                ["channels-last_best_step"] = Ratio(results, "channels-last", "channels-last", best: true),
            },
        };
        File.WriteAllText(stem + ".json", jsonOut.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(stem + ".md", md);
        Console.WriteLine($"wrote {stem}.json and {stem}.md");
        return 0;
    }

    /// <summary>One Chorus round: a fresh model, optimizer and batch, <paramref name="warmup"/> untimed then <paramref name="steps"/> timed steps.</summary>
    private static (List<double> Seconds, List<double> Losses) ChorusRound(bool channelsLast, int batch, int size, int warmup, int steps)
    {
        using var model = new ResNetClassifier(0, Classes);
        using var x = torch.randn(batch, 3, size, size);
        using var y = torch.randint(Classes, [batch], dtype: ScalarType.Int64);
        model.Module.train();

        // As EnsembleTrainer: borrow channels-last first, then create the optimizer over the model's own parameters.
        using var nhwc = channelsLast ? new ChannelsLastClassifier(model) : null;
        IClassifier net = nhwc is null ? model : nhwc;
        using var optimizer = torch.optim.AdamW(model.Module.parameters(), lr: 1e-3, weight_decay: 1e-4);
        var seconds = new List<double>();
        var losses = new List<double>();
        for (var s = 0; s < warmup + steps; s++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(net.Forward(x), y);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
            if (s >= warmup)
            {
                seconds.Add(sw.Elapsed.TotalSeconds);
            }
        }

        return (seconds, losses);
    }

    /// <summary>One PyTorch round in a child process; its JSON, or null with <paramref name="error"/> set.</summary>
    private static JsonNode? PeerRound(string python, string script, bool channelsLast, int batch, int size, int warmup, int steps, int threads, out string? error)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "--batch", batch.ToString(CultureInfo.InvariantCulture), "--size", size.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        if (channelsLast)
        {
            psi.ArgumentList.Add("--channels-last");
        }

        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                error = $"{python} {script} exited with {p.ExitCode}: {stderr.Result.Trim()}";
                return null;
            }

            error = null;
            return JsonNode.Parse(stdout);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or JsonException or InvalidOperationException)
        {
            error = $"{python} {script}: {e.Message}";
            return null;
        }
    }

    /// <summary>Null when the peer can run, else why not (no interpreter, no script, no torch module).</summary>
    private static string? PeerProblem(string python, string script)
    {
        if (!File.Exists(python))
        {
            return $"{python} not found";
        }

        if (!File.Exists(script))
        {
            return $"{script} not found";
        }

        try
        {
            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("import torch");
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{python} cannot import torch ({stderr.Result.Trim().Split('\n')[^1]})";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{python}: {e.Message}";
        }
    }

    private static double? Ratio(Dictionary<(string, string), Cell> results, string chorusLayout, string peerLayout, bool best = false)
    {
        var c = results[("Chorus", chorusLayout)];
        var p = results[("PyTorch", peerLayout)];
        return c.StepSeconds.Count > 0 && p.StepSeconds.Count > 0 ? (best ? c.Best / p.Best : c.Median / p.Median) : null;
    }

    private static JsonObject? BestRatio(Dictionary<(string, string), Cell> results)
    {
        var chorus = new[] { "nchw", "channels-last" }.Where(l => results[("Chorus", l)].StepSeconds.Count > 0).OrderByDescending(l => results[("Chorus", l)].Median).FirstOrDefault();
        var peer = new[] { "nchw", "channels-last" }.Where(l => results[("PyTorch", l)].StepSeconds.Count > 0).OrderByDescending(l => results[("PyTorch", l)].Median).FirstOrDefault();
        return chorus is null || peer is null ? null : new JsonObject { ["chorus_layout"] = chorus, ["pytorch_layout"] = peer, ["ratio"] = Ratio(results, chorus, peer) };
    }

    private static string Markdown(Dictionary<(string, string), Cell> results, (string Engine, string Layout)[] cells, int batch, int size, int warmup, int steps, int threads, int rounds, string loadStart, string loadEnd, string cpuModel, string cpuFlags, string? peerProblem, JsonNode? peerInfo)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"# Fine-tuning ResNet-18 {size}px: Chorus vs PyTorch, batch {batch}, {threads} threads");
        sb.AppendLine();
        sb.AppendLine(inv, $"One step = zero_grad, forward (train mode), cross-entropy, full backward, AdamW (lr 1e-3, wd 1e-4); {Classes} classes, random weights (seed 0), one fixed random batch. Per round {warmup} warm-up + {steps} timed steps; {rounds} interleaved round(s) (ABBA order). images/s: median over all timed steps, mean (images ÷ total seconds), and the fastest step (least disturbed by other work on a shared machine; per-round medians far apart mean the machine was busy).");
        sb.AppendLine();
        var peerVersion = peerInfo?["versions"] is { } v
            ? $"PyTorch {v["debian_packages"]?["python3-torch"]?.GetValue<string>() ?? v["torch"]?.GetValue<string>()} (Debian python3-torch; torch.__version__ {v["torch"]?.GetValue<string>()}, mkldnn available: {v["mkldnn_available"]}), Python {v["python"]?.GetValue<string>()}, model: {peerInfo["config"]?["model"]?.GetValue<string>()}"
            : "PyTorch: not run";
        sb.AppendLine(inv, $"Chorus: TorchSharp {typeof(torch).Assembly.GetName().Version}, TorchVision {typeof(torchvision).Assembly.GetName().Version} `resnet18(num_classes: {Classes})`, native allocator: {Chorus.Torch.NativeAllocator.Description}. {peerVersion}.");
        sb.AppendLine();
        sb.AppendLine(inv, $"Load average: start {loadStart}, end {loadEnd}.");
        if (BusyWarning(results, loadStart, loadEnd) is { } busy)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"**Busy machine: {busy}.** These figures are not a measurement of either engine; run again on a quiet machine.");
        }
        if (peerProblem is not null)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"**PyTorch peer not run: {peerProblem}.** Install it with `apt-get install -y python3-torch python3-torchvision` and run again.");
        }

        sb.AppendLine();
        sb.AppendLine("| engine | layout | images/s (median) | images/s (mean) | images/s (best step) | per-round medians | Chorus ÷ PyTorch, median (same layout) | Chorus ÷ PyTorch, best step |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var c in cells)
        {
            var cell = results[c];
            if (cell.StepSeconds.Count == 0)
            {
                sb.AppendLine(inv, $"| {c.Engine} | {c.Layout} | n/a | n/a | n/a | | | |");
                continue;
            }

            var ratio = c.Engine == "Chorus" ? Ratio(results, c.Layout, c.Layout)?.ToString("F2", inv) ?? "n/a" : string.Empty;
            var bestRatio = c.Engine == "Chorus" ? Ratio(results, c.Layout, c.Layout, best: true)?.ToString("F2", inv) ?? "n/a" : string.Empty;
            sb.AppendLine(inv, $"| {c.Engine} | {c.Layout} | {cell.Median:F2} | {cell.Mean:F2} | {cell.Best:F2} | {string.Join(", ", cell.RoundMedians.Select(m => m.ToString("F2", inv)))} | {ratio} | {bestRatio} |");
        }

        if (BestRatio(results) is { } best)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"Each side's faster layout: Chorus {best["chorus_layout"]} ÷ PyTorch {best["pytorch_layout"]} = **{best["ratio"]!.GetValue<double>():F2}** (> 1: Chorus trains faster).");
        }

        sb.AppendLine();
        sb.AppendLine("`lscpu`:");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.AppendLine(inv, $"Model name: {cpuModel}");
        sb.AppendLine(inv, $"Flags: {cpuFlags}");
        sb.AppendLine("```");
        return sb.ToString();
    }

    /// <summary>Why the run cannot be trusted, or null: 1-minute load above the core count + 0.5 (the benchmark itself keeps `--threads` cores busy), or per-round medians more than 10 % apart.</summary>
    private static string? BusyWarning(Dictionary<(string, string), Cell> results, string loadStart, string loadEnd)
    {
        var reasons = new List<string>();
        var loads = new[] { loadStart, loadEnd }
            .Select(l => double.TryParse(l.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .ToArray();
        if (loads.Max() > Environment.ProcessorCount + 0.5)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"1-minute load average up to {loads.Max():F2} on {Environment.ProcessorCount} cores"));
        }

        var spread = results.Values.Where(c => c.RoundMedians.Count > 1).Select(c => c.RoundMedians.Max() / c.RoundMedians.Min()).DefaultIfEmpty(1).Max();
        if (spread > 1.1)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"per-round medians of one cell up to {spread:F2}× apart"));
        }

        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    internal static (string Model, string Flags) Lscpu()
    {
        try
        {
            var psi = new ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false };
            psi.Environment["LC_ALL"] = "C";
            using var p = Process.Start(psi)!;
            var lines = p.StandardOutput.ReadToEnd().Split('\n');
            p.WaitForExit();
            string Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) is { } l ? l[(name.Length + 1)..].Trim() : "n/a";
            return (Field("Model name"), Field("Flags"));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return ("n/a (lscpu not found)", "n/a");
        }
    }

    private static string LoadAvg() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>Timed steps of one engine × layout over all rounds.</summary>
    private sealed class Cell
    {
        public List<double> StepSeconds { get; } = [];

        public List<double> ImagesPerSecond { get; } = [];

        public List<double> RoundMedians { get; } = [];

        public List<double[]> Losses { get; } = [];

        public int Batch { get; private set; }

        public double Median => MedianOf(ImagesPerSecond);

        public double Mean => Batch * StepSeconds.Count / StepSeconds.Sum();

        /// <summary>The fastest step: the least disturbed by other work on a shared machine.</summary>
        public double Best => ImagesPerSecond.Max();

        public void Add(List<double> seconds, int batch)
        {
            Batch = batch;
            StepSeconds.AddRange(seconds);
            var ips = seconds.Select(s => batch / s).ToList();
            ImagesPerSecond.AddRange(ips);
            RoundMedians.Add(MedianOf(ips));
        }

        private static double MedianOf(List<double> values)
        {
            var sorted = values.Order().ToList();
            var n = sorted.Count;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        }
    }
}
