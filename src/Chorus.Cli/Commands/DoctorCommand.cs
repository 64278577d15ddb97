using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Cli.Infrastructure;
using Chorus.Torch;
using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus doctor</c>: can this machine be trusted with Chorus's numbers? The CPU, library versions, threads and
/// allocator; the numerics probes and the configuration they chose; a float32-against-float64 check of a real model;
/// with <c>--compare</c>, every configuration measured in its own process. Exit 0 when a configuration passes, 2 when none does.
/// </summary>
public sealed class DoctorCommand(IAnsiConsole console) : Command<DoctorCommand.Settings>
{
    /// <summary>Images in the timed workload.</summary>
    public const int TimedBatch = 4;

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--numerics <NAME>")]
        [Description(NumericsOption.Help)]
        public string? Numerics { get; init; }

        [CommandOption("--backbone <NAME>")]
        [Description("Model checked float32 against float64 (and timed with --time/--compare): small-cnn (default), resnet18-imagenet, resnet18|34|50, onnx:FILE.")]
        public string Backbone { get; init; } = BackboneSpec.SmallCnn;

        [CommandOption("--size <N>")]
        [Description("Image side for the model check and the timing. Default 64.")]
        public int Size { get; init; } = 64;

        [CommandOption("--threads <N>")]
        [Description("libtorch threads. Default: all cores.")]
        public int? Threads { get; init; }

        [CommandOption("--time")]
        [Description("Also time the model's forward + input gradient (batch 4, median of 5 after one warm-up).")]
        public bool Time { get; init; }

        [CommandOption("--compare")]
        [Description("Run every configuration (native, onednn-off-backward, onednn-off, onednn-isa-avx2, onednn-isa-sse41) in its own process with oneDNN's verbose log: probes, model check, the kernels oneDNN ran, and the time of each against native.")]
        public bool Compare { get; init; }

        [CommandOption("--json")]
        [Description("Print one line of JSON (versions, the numerics verdict, the timing) instead of tables.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (NumericsOption.Validate(Numerics) is { } error)
            {
                return ValidationResult.Error(error);
            }

            if (Size < 16)
            {
                return ValidationResult.Error("--size must be at least 16.");
            }

            if (Threads is < 1)
            {
                return ValidationResult.Error("--threads must be at least 1.");
            }

            try
            {
                new BackboneSpec(Backbone).Validate();
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }

            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads ?? Environment.ProcessorCount);
        var versions = Versions();
        NumericsVerdict verdict;
        try
        {
            verdict = NumericsOption.Ensure(settings.Numerics);
        }
        catch (NumericsException e)
        {
            if (settings.Json)
            {
                WriteJson(new JsonObject { ["versions"] = versions, ["error"] = e.Message });
                return ChorusApp.UserErrorExitCode;
            }

            WriteHeader(versions, CpuInfo.Current());
            throw;
        }

        using var model = new BackboneSpec(settings.Backbone).Create(10);
        model.Module.eval();
        using var scope = NewDisposeScope();
        using var generator = new Generator(20261205);
        var images = rand([TimedBatch, 3, settings.Size, settings.Size], generator: generator);
        var check = NumericsGuard.CheckModel(model, images, null, MemoryLayout.ChannelsLast);
        double? milliseconds = settings.Time ? TimeWorkload(model, images) : null;

        if (settings.Json)
        {
            WriteJson(new JsonObject
            {
                ["versions"] = versions,
                ["numerics"] = verdict.ToJson(),
                ["workload"] = $"{model.GetType().Name} {settings.Backbone} forward + input gradient, batch {TimedBatch}, {settings.Size} px, channels-last",
                ["time_ms"] = milliseconds is { } t ? Math.Round(t, 2) : null,
            });
            return 0;
        }

        WriteHeader(versions, verdict.Cpu);
        WriteVerdict(verdict, check);
        if (milliseconds is { } ms)
        {
            console.MarkupLine($"Workload: {Markup.Escape(settings.Backbone)} forward + input gradient, batch {TimedBatch}, {settings.Size} px: [bold]{ms:F1} ms[/] (median of 5).");
        }

        if (settings.Compare)
        {
            Compare(settings, cancellationToken);
        }

        return 0;
    }

    private static JsonObject Versions()
    {
        // The same version and machine strings a run manifest records.
        var manifest = new Runs.RunManifest();
        manifest.CaptureMachine();
        manifest.AddVersionOf("chorus", typeof(ChorusApp));
        manifest.AddVersionOf("TorchSharp", typeof(torch));
        return new JsonObject
        {
            ["chorus"] = manifest.Versions["chorus"],
            ["TorchSharp"] = manifest.Versions["TorchSharp"],
            ["libtorch"] = TorchVersions.Libtorch,
            ["dotnet"] = manifest.Machine["dotnet"],
            ["os"] = manifest.Machine["os"],
            ["threads"] = torch.get_num_threads(),
            ["cores"] = Environment.ProcessorCount,
            ["native_allocator"] = NativeAllocator.Description,
        };
    }

    private void WriteJson(JsonObject o) => console.Profile.Out.Writer.WriteLine(o.ToJsonString());

    private void WriteHeader(JsonObject versions, CpuInfo cpu)
    {
        console.Write(new Rule("[bold]chorus doctor[/]").LeftJustified());
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("versions", Markup.Escape($"chorus {versions["chorus"]}, TorchSharp {versions["TorchSharp"]}, libtorch {versions["libtorch"]}, {versions["dotnet"]}"));
        grid.AddRow("os", Markup.Escape(versions["os"]!.ToString()));
        grid.AddRow("cpu", Markup.Escape(cpu.ToString()));
        grid.AddRow("oneDNN ISA", Markup.Escape($"{cpu.OneDnnIsa} (derived from the CPU flags); ONEDNN_MAX_CPU_ISA {cpu.IsaCap ?? "not set"}"));
        grid.AddRow("threads", Markup.Escape($"{versions["threads"]} libtorch threads on {versions["cores"]} cores"));
        grid.AddRow("allocator", Markup.Escape(versions["native_allocator"]!.ToString()));
        console.Write(grid);
    }

    private void WriteVerdict(NumericsVerdict verdict, ModelCheck check)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("configuration", "probes", "worst (error / tolerance)", "ms");
        foreach (var t in verdict.Tried)
        {
            var worst = t.Worst;
            table.AddRow(
                Markup.Escape(t.Configuration.ToCliName()),
                t.Passed ? $"[green]{t.Probes.Count} passed[/]" : $"[red]{t.Probes.Count(p => !p.Passed)} of {t.Probes.Count} failed[/]",
                worst is null ? "" : Markup.Escape($"{worst} = {worst.Error / worst.Tolerance:0.000}"),
                t.Milliseconds.ToString("F0", CultureInfo.InvariantCulture));
        }

        console.Write(table);
        var state = verdict.IsFallback ? "[yellow]fallback[/]" : "[green]native kernels pass[/]";
        console.MarkupLine($"Numerics: {state}; using [bold]{Markup.Escape(verdict.Configuration.ToCliName())}[/] ({Markup.Escape(verdict.Configuration.Describe())}){(verdict.Forced ? " [grey](forced)[/]" : "")}.");
        if (verdict.CostRatio is { } r)
        {
            console.MarkupLine($"Cost of the fallback: {r:F2}× the native time on a convolution workload.");
        }

        var perImage = string.Join(", ", check.PerImage.Select(e => e.ToString("0.0e+00", CultureInfo.InvariantCulture)));
        console.MarkupLine($"Model check: {(check.Passed ? "[green]passed[/]" : "[red]failed[/]")} {Markup.Escape(check.ToString())}; per image {Markup.Escape(perImage)}; {check.Milliseconds:F0} ms.");
    }

    private void Compare(Settings settings, CancellationToken cancellationToken)
    {
        var rows = new List<(NumericsConfiguration Configuration, CompareResult Result)>();
        console.Status().Start("Measuring each configuration in its own process...", ctx =>
        {
            foreach (var c in NumericsConfigurations.All)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ctx.Status($"Measuring {c.ToCliName()}...");
                rows.Add((c, RunChild(c, settings)));
            }
        });

        var native = rows.FirstOrDefault(r => r.Configuration == NumericsConfiguration.Native).Result?.Milliseconds;
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("configuration", "probes", "model check", "oneDNN ISA (its log)", "oneDNN convs", "ms", "× native");
        foreach (var (c, r) in rows)
        {
            table.AddRow(
                Markup.Escape(c.ToCliName()),
                r.Error is not null ? "[red]failed[/]" : "[green]passed[/]",
                Markup.Escape(r.ModelCheck ?? (r.Error is null ? "" : OneLine(r.Error))),
                Markup.Escape(r.Isa ?? "(no oneDNN primitive)"),
                Markup.Escape(r.Convolutions),
                r.Milliseconds is { } ms ? ms.ToString("F1", CultureInfo.InvariantCulture) : "",
                r.Milliseconds is { } m && native is { } n && n > 0 ? (m / n).ToString("F2", CultureInfo.InvariantCulture) : "");
        }

        console.Write(table);
        foreach (var (c, r) in rows.Where(r => r.Result.Kernels.Count > 0))
        {
            console.MarkupLine($"[grey]{Markup.Escape(c.ToCliName())} ran oneDNN's {Markup.Escape(string.Join(", ", r.Kernels))}.[/]");
        }

        console.MarkupLine($"[grey]Workload: {Markup.Escape(settings.Backbone)} forward + input gradient, batch {TimedBatch}, {settings.Size} px, channels-last, median of 5. ISA caps bind only at process start: that is why each configuration runs in its own process.[/]");
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    /// <summary>What one child <c>chorus doctor --numerics NAME --json --time</c> with <c>ONEDNN_VERBOSE=1</c> reported.</summary>
    internal sealed record CompareResult(string? Error, string? ModelCheck, string? Isa, int ForwardConvolutions, int BackwardConvolutions, IReadOnlyList<string> Kernels, double? Milliseconds)
    {
        /// <summary>e.g. <c>236 fwd, 0 bwd</c>, or <c>none</c>.</summary>
        public string Convolutions => ForwardConvolutions + BackwardConvolutions == 0 ? "none" : $"{ForwardConvolutions} fwd, {BackwardConvolutions} bwd";
    }

    internal static CompareResult RunChild(NumericsConfiguration configuration, Settings settings)
    {
        var (file, prefix) = Self();
        var args = new List<string>(prefix) { "doctor", "--numerics", configuration.ToCliName(), "--json", "--time", "--backbone", settings.Backbone, "--size", settings.Size.ToString(CultureInfo.InvariantCulture) };
        if (settings.Threads is { } threads)
        {
            args.AddRange(["--threads", threads.ToString(CultureInfo.InvariantCulture)]);
        }

        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove(NumericsGuard.EnvironmentVariable);
        info.Environment.Remove("ONEDNN_MAX_CPU_ISA");
        info.Environment["ONEDNN_VERBOSE"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        process.WaitForExit();
        return ParseChild(lines, stderr.Result, process.ExitCode);
    }

    /// <summary>Reads a child's output: oneDNN's verbose lines (ISA, convolution primitives run) and the JSON line.</summary>
    internal static CompareResult ParseChild(IReadOnlyList<string> lines, string stderr, int exitCode)
    {
        string? isa = null;
        int forward = 0, backward = 0;
        var impls = new SortedSet<string>(StringComparer.Ordinal);
        JsonNode? json = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("onednn_verbose", StringComparison.Ordinal))
            {
                var fields = line.Split(',');
                var isaField = fields.FirstOrDefault(f => f.StartsWith("isa:", StringComparison.Ordinal));
                if (isaField is not null && fields.Contains("info"))
                {
                    isa = isaField["isa:".Length..];
                }

                var exec = Array.IndexOf(fields, "exec");
                if (exec >= 0 && exec + 5 < fields.Length && fields[exec + 2] == "convolution")
                {
                    if (fields[exec + 4].StartsWith("forward", StringComparison.Ordinal))
                    {
                        forward++;
                    }
                    else
                    {
                        backward++;
                    }

                    impls.Add(fields[exec + 3]);
                }
            }
            else if (line.StartsWith('{'))
            {
                try
                {
                    json = JsonNode.Parse(line);
                }
                catch (JsonException)
                {
                    // Not our line.
                }
            }
        }

        if (json is null)
        {
            return new CompareResult($"exit {exitCode}: {stderr.Trim()}", null, isa, forward, backward, [.. impls], null);
        }

        var error = json["error"]?.GetValue<string>();
        var checks = json["numerics"]?["model_checks"]?.AsArray();
        var last = checks is { Count: > 0 } ? checks[^1] : null;
        var modelCheck = last is null ? null : string.Create(CultureInfo.InvariantCulture, $"{(last["passed"]!.GetValue<bool>() ? "passed" : "failed")} {last["gradient_error"]!.GetValue<double>():0.0e+00}");
        var ms = json["time_ms"]?.GetValue<double>();
        return new CompareResult(error, modelCheck, isa, forward, backward, [.. impls], ms);
    }

    /// <summary>How to start this program again: the <c>chorus</c> app host, or <c>dotnet chorus.dll</c>.</summary>
    internal static (string File, IReadOnlyList<string> Prefix) Self()
    {
        var dll = typeof(ChorusApp).Assembly.Location;
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process).Equals("chorus", StringComparison.OrdinalIgnoreCase))
        {
            return (process, []);
        }

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(dotnet))
        {
            dotnet = process is not null && Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? process : "dotnet";
        }

        return (dotnet, [dll]);
    }

    private static double TimeWorkload(IClassifier model, Tensor images)
    {
        using var borrowed = MemoryLayout.ChannelsLast.Borrow(model, images);
        var m = (IClassifier?)borrowed ?? model;
        var target = zeros([images.shape[0]], ScalarType.Int64);
        var saliency = new Torch.Attribution.Saliency();
        var times = new List<double>();
        for (var r = 0; r < 6; r++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            saliency.Attribute(m, images, target);
            if (r > 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
