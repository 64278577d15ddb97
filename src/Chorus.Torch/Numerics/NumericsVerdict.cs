using System.Globalization;
using System.Text.Json.Nodes;

namespace Chorus.Torch.Numerics;

/// <summary>The probes of one configuration, as run.</summary>
/// <param name="Configuration">The configuration in force while they ran.</param>
/// <param name="Probes">One result per probe and quantity.</param>
/// <param name="Milliseconds">Wall time of the probes.</param>
public sealed record ProbeReport(NumericsConfiguration Configuration, IReadOnlyList<ProbeResult> Probes, double Milliseconds)
{
    /// <summary>Every probe within tolerance.</summary>
    public bool Passed => Probes.Count > 0 && Probes.All(p => p.Passed);

    /// <summary>The first failing probe, else the one closest to its tolerance.</summary>
    public ProbeResult? Worst => Probes.FirstOrDefault(p => !p.Passed) ?? Probes.MaxBy(p => p.Error / p.Tolerance);
}

/// <summary>The float32-against-float64 check of one real model (architecture, input size, layout).</summary>
/// <param name="Model">What was checked: the model's type and parameter count.</param>
/// <param name="Input">The batch's shape, e.g. <c>[4,3,224,224]</c>.</param>
/// <param name="Layout">The memory layout of the float32 pass.</param>
/// <param name="Configuration">The configuration in force.</param>
/// <param name="ForwardError">Relative L2 error of the logits.</param>
/// <param name="GradientError">Relative L2 error of the input gradient over the whole batch.</param>
/// <param name="PerImage">Relative L2 error of each image's input gradient.</param>
/// <param name="Milliseconds">Wall time of the check (both passes).</param>
public sealed record ModelCheck(
    string Model,
    string Input,
    string Layout,
    NumericsConfiguration Configuration,
    double ForwardError,
    double GradientError,
    IReadOnlyList<double> PerImage,
    double Milliseconds)
{
    /// <summary>Logits within <see cref="NumericsGuard.ModelForwardTolerance"/> and the input gradient within <see cref="NumericsGuard.ModelGradientTolerance"/>.</summary>
    public bool Passed =>
        double.IsFinite(ForwardError) && double.IsFinite(GradientError)
        && ForwardError <= NumericsGuard.ModelForwardTolerance && GradientError <= NumericsGuard.ModelGradientTolerance;

    /// <summary>One line for logs and errors.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Model} {Input} {Layout}: input gradient off by {GradientError:0.0e+00} (tolerance {NumericsGuard.ModelGradientTolerance:0.0e+00}), logits by {ForwardError:0.0e+00} (tolerance {NumericsGuard.ModelForwardTolerance:0.0e+00})");
}

/// <summary>What the numerics guard decided for this process, and why.</summary>
public sealed class NumericsVerdict
{
    internal NumericsVerdict(NumericsConfiguration configuration, bool forced, IReadOnlyList<ProbeReport> tried, CpuInfo cpu, int threads)
    {
        Configuration = configuration;
        Forced = forced;
        Tried = tried;
        Cpu = cpu;
        Threads = threads;
    }

    /// <summary>The configuration in force.</summary>
    public NumericsConfiguration Configuration { get; internal set; }

    /// <summary>Forced by the caller (option or <c>CHORUS_NUMERICS</c>) rather than chosen by the probes.</summary>
    public bool Forced { get; }

    /// <summary>Whether a configuration other than <see cref="NumericsConfiguration.Native"/> is in force.</summary>
    public bool IsFallback => Configuration != NumericsConfiguration.Native;

    /// <summary>The probe runs, in the order tried; the last one is the configuration in force.</summary>
    public IReadOnlyList<ProbeReport> Tried { get; internal set; }

    /// <summary>The probes of the configuration in force.</summary>
    public ProbeReport Probes => Tried.LastOrDefault(t => t.Configuration == Configuration) ?? Tried[^1];

    /// <summary>The CPU.</summary>
    public CpuInfo Cpu { get; }

    /// <summary>libtorch's thread count when the probes ran.</summary>
    public int Threads { get; }

    /// <summary>Time of a fixed convolution workload under the configuration in force ÷ under native (measured only when a fallback was chosen).</summary>
    public double? CostRatio { get; internal set; }

    /// <summary>Checks of real models made in this process.</summary>
    public IReadOnlyList<ModelCheck> ModelChecks => _modelChecks;

    internal List<ModelCheck> ModelChecksList => _modelChecks;

    private readonly List<ModelCheck> _modelChecks = [];

    /// <summary>
    /// The one line printed on stderr when a fallback is in force: the CPU, what failed, the configuration chosen and its cost.
    /// </summary>
    public string Summary()
    {
        var failed = Tried.Where(t => !t.Passed).Select(t => $"{t.Configuration.ToCliName()}: {t.Worst}").ToList();
        var failedChecks = ModelChecks.Where(c => !c.Passed).Select(c => $"{c.Configuration.ToCliName()}: {c}").ToList();
        var why = Forced
            ? "forced"
            : failed.Count + failedChecks.Count == 0 ? "probes pass" : "failed " + string.Join("; ", failed.Concat(failedChecks));
        var cost = CostRatio is { } r ? string.Create(CultureInfo.InvariantCulture, $", {r:0.00}× the native time on a convolution workload") : "";
        return $"chorus: numerics: {Cpu}: {why}; using {Configuration.ToCliName()} ({Configuration.Describe()}{cost}).";
    }

    /// <summary>The <c>numerics</c> block of a run manifest.</summary>
    public JsonObject ToJson()
    {
        static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(double.IsNaN(v) ? "NaN" : v.ToString(CultureInfo.InvariantCulture));
        return new JsonObject
        {
            ["configuration"] = Configuration.ToCliName(),
            ["description"] = Configuration.Describe(),
            ["forced"] = Forced,
            ["fallback"] = IsFallback,
            ["cpu"] = new JsonObject
            {
                ["model"] = Cpu.Model,
                ["flags"] = new JsonArray(Cpu.Flags.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray()),
                ["onednn_isa"] = Cpu.OneDnnIsa + " (derived from the flags)",
                ["onednn_max_cpu_isa"] = Cpu.IsaCap,
            },
            ["threads"] = Threads,
            ["probe_ms"] = Math.Round(Probes.Milliseconds, 1),
            ["cost_ratio"] = CostRatio is { } c ? Math.Round(c, 3) : null,
            ["tried"] = new JsonArray(Tried.Select(t => (JsonNode)new JsonObject
            {
                ["configuration"] = t.Configuration.ToCliName(),
                ["passed"] = t.Passed,
                ["worst"] = t.Worst?.ToString(),
                ["ms"] = Math.Round(t.Milliseconds, 1),
            }).ToArray()),
            ["probes"] = new JsonArray(Probes.Probes.Select(p => (JsonNode)new JsonObject
            {
                ["probe"] = p.Probe,
                ["quantity"] = p.Quantity,
                ["error"] = Num(p.Error),
                ["tolerance"] = p.Tolerance,
                ["passed"] = p.Passed,
            }).ToArray()),
            ["model_checks"] = new JsonArray(ModelChecks.Select(m => (JsonNode)new JsonObject
            {
                ["model"] = m.Model,
                ["input"] = m.Input,
                ["layout"] = m.Layout,
                ["configuration"] = m.Configuration.ToCliName(),
                ["forward_error"] = Num(m.ForwardError),
                ["gradient_error"] = Num(m.GradientError),
                ["per_image"] = new JsonArray(m.PerImage.Select(e => Num(e)).ToArray()),
                ["forward_tolerance"] = NumericsGuard.ModelForwardTolerance,
                ["gradient_tolerance"] = NumericsGuard.ModelGradientTolerance,
                ["passed"] = m.Passed,
                ["ms"] = Math.Round(m.Milliseconds, 1),
            }).ToArray()),
        };
    }
}

/// <summary>No configuration gives correct numbers on this machine (or the forced one does not): nothing is computed.</summary>
public sealed class NumericsException(string message) : ChorusException(message);
