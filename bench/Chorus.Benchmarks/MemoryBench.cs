using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chorus.Torch.Attribution;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Benchmarks;

/// <summary>
/// <c>--memory</c>: peak resident memory (VmHWM of /proc/self/status) of Integrated Gradients and Gradient SHAP as
/// the number of steps / samples grows, each setting in a fresh child process (<c>--memory-child</c>) so the
/// high-water mark belongs to that setting alone. Writes bench/results/memory.md.
/// </summary>
internal static class MemoryBench
{
    public static int Run(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var size = Get("--size") ?? "112";
        var batch = Get("--batch") ?? "4";
        var ibs = Get("--internal-batch-size") ?? "16";
        var outDir = Get("--out") ?? Path.Combine("bench", "results");
        var loadStart = PrecisionBench.Load();

        // (method, steps or samples, internal batch size; "none" = everything in one pass, for contrast).
        var settings = new List<(string Method, int Count, string Ibs)>
        {
            ("integrated-gradients", 16, ibs), ("integrated-gradients", 64, ibs), ("integrated-gradients", 256, ibs),
            ("gradient-shap", 5, ibs), ("gradient-shap", 50, ibs),
            ("integrated-gradients", 16, "none"), ("integrated-gradients", 64, "none"),
            ("gradient-shap", 5, "none"), ("gradient-shap", 50, "none"),
        };
        var rows = new List<string>();
        foreach (var (method, count, b) in settings)
        {
            string[] allocator = args.Contains("--default-allocator") ? ["--default-allocator"] : [];
            var line = Child(["--memory-child", "--method", method, "--count", count.ToString(CultureInfo.InvariantCulture), "--ibs", b, "--size", size, "--batch", batch, .. allocator]);
            Console.WriteLine($"{method} {count} ibs {b}: {line}");
            rows.Add(line);
        }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Peak memory vs steps/samples, ResNet-18 {size}px (random weights), batch {batch}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"`dotnet run -c Release --project bench/Chorus.Benchmarks -- {string.Join(' ', args)}`");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Each row is a fresh process. `warm MiB` = VmHWM after loading the model and one forward+input-gradient on the batch; `peak MiB` = VmHWM after the attribution; `extra` = peak − warm. Parameters do not require grad (variant fast). Native allocator: {Chorus.Torch.NativeAllocator.Description} (children: the same unless --default-allocator). Load average at start {loadStart}, end {PrecisionBench.Load()}.");
        sb.AppendLine();
        sb.AppendLine("| method | steps/samples | internal batch | images per pass | warm MiB | peak MiB | extra MiB | seconds |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
        {
            sb.AppendLine(r);
        }

        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, $"memory_{size}.md");
        File.WriteAllText(path, sb.ToString());
        Console.Write(sb.ToString());
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    /// <summary>The child: one attribution, then one markdown table row on stdout.</summary>
    public static int RunChild(string[] args)
    {
        string Get(string name) => args[Array.IndexOf(args, name) + 1];
        int Int(string name) => int.Parse(Get(name), CultureInfo.InvariantCulture);
        torch.set_num_threads(2);
        var method = Get("--method");
        var count = Int("--count");
        var size = Int("--size");
        var batch = Int("--batch");
        int? ibs = Get("--ibs") == "none" ? null : Int("--ibs");

        using var model = new ResNetClassifier(0);
        foreach (var p in model.Module.parameters())
        {
            p.requires_grad_(false);
        }

        torch.manual_seed(1);
        using var x = torch.randn(batch, 3, size, size);
        using var target = torch.randint(1000, [batch], dtype: ScalarType.Int64);
        using (var warm = NewDisposeScope())
        {
            new Saliency().Attribute(model, x, target);
        }

        var warmKb = VmHwmKb();
        using var gen = new Generator(3);
        IAttributionMethod m = method == IntegratedGradients.CliName
            ? new IntegratedGradients(new IntegratedGradientsOptions(count, IntegrationRule.GaussLegendre, null, ibs))
            : new GradientShap(gen, new GradientShapOptions(null, count, 0.0, ibs));
        var sw = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            _ = m.Attribute(model, x, target).sum().item<float>();
        }

        var seconds = sw.Elapsed.TotalSeconds;
        var peakKb = VmHwmKb();
        var perPass = ibs is { } b ? Math.Min(count, Math.Max(1, b / batch)) * batch : count * batch;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {method} | {count} | {(ibs?.ToString(CultureInfo.InvariantCulture) ?? "none")} | {perPass} | {warmKb / 1024.0:F0} | {peakKb / 1024.0:F0} | {(peakKb - warmKb) / 1024.0:F0} | {seconds:F1} |"));
        return 0;
    }

    private static long VmHwmKb()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static string Child(string[] childArgs)
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find the benchmark executable.");
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(MemoryBench).Assembly.Location);
        }

        foreach (var a in childArgs)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var row = stdout.Split('\n').LastOrDefault(l => l.StartsWith('|'));
        return p.ExitCode == 0 && row is not null ? row.Trim() : $"| {string.Join(' ', childArgs)} | failed (exit {p.ExitCode}): {stderr.Split('\n').FirstOrDefault()} |";
    }
}
