using System.Diagnostics;
using System.Globalization;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Numerics;

/// <summary>
/// Makes sure libtorch's float32 kernels give correct numbers on this CPU before Chorus trusts them, and picks a
/// configuration that does when they do not (libtorch 2.10's oneDNN returned wrong convolution input gradients for
/// batches above 1 on a Zen 4 CPU; other CPUs and shapes will have their own).
/// </summary>
/// <remarks>
/// <para><see cref="Ensure"/> runs once per process, before the first gradient Chorus computes (every backward pass
/// enters through <see cref="Backward"/>) and at the start of every CLI command that touches tensors: it runs
/// <see cref="NumericsProbes"/> under each configuration of <see cref="NumericsConfigurations.AutomaticOrder"/> until
/// one passes, or under the forced one (<see cref="Force"/>, or the <c>CHORUS_NUMERICS</c> environment variable).
/// When nothing passes it throws <see cref="NumericsException"/>: Chorus never computes silently wrong maps.</para>
/// <para><see cref="CheckModel"/> then checks each real model (once per architecture, input size and layout) by its
/// input gradient in float32 against a float64 copy, and moves on to the next configuration if that fails.</para>
/// </remarks>
public static class NumericsGuard
{
    /// <summary>The environment variable that forces a configuration (a name of <see cref="NumericsConfigurations.Names"/>, or <c>auto</c>).</summary>
    public const string EnvironmentVariable = "CHORUS_NUMERICS";

    /// <summary>
    /// Largest relative L2 error of a real model's input gradient (whole batch, float32 against float64). Healthy kernels
    /// measured ≤ 3.8e-3 on the ImageNet ResNet-18 at 224 px (random inputs; most images 3e-7, a few 6e-3 where a ReLU or a
    /// max-pool tie switched between float32 and float64, which float32 is entitled to); the broken oneDNN kernel was off by
    /// 0.125 of the map's maximum. 0.02 sits 5× above the first and 6× below the second.
    /// </summary>
    public const double ModelGradientTolerance = 0.02;

    /// <summary>Largest relative L2 error of a real model's logits (measured ≤ 6e-7 on ResNet-18 at 224 px: 1,000× margin).</summary>
    public const double ModelForwardTolerance = 1e-3;

    /// <summary>Images in a model check: batches above 1 are what failed, and the float64 pass dominates the cost.</summary>
    public const int CheckBatch = 2;

    private static readonly object Gate = new();
    private static readonly Dictionary<string, ModelCheck> Checked = new(StringComparer.Ordinal);
    private static volatile NumericsVerdict? _verdict;
    private static NumericsConfiguration? _forced;
    private static bool _forcedSet;

    /// <summary>Where the one-line fallback notice goes (default: standard error).</summary>
    public static Action<string> Log { get; set; } = line => Console.Error.WriteLine(line);

    /// <summary>The verdict, once <see cref="Ensure"/> has run in this process; else null.</summary>
    public static NumericsVerdict? Current => _verdict;

    /// <summary>
    /// Forces <paramref name="configuration"/> (null: let the probes choose) for the next <see cref="Ensure"/>, overriding
    /// <c>CHORUS_NUMERICS</c>. A different choice after a verdict exists makes the next <see cref="Ensure"/> decide again
    /// (an ISA cap then binds only if oneDNN has not started).
    /// </summary>
    public static void Force(NumericsConfiguration? configuration)
    {
        lock (Gate)
        {
            var keep = _verdict is not null && (configuration is null ? !_verdict.Forced : _verdict.Forced && _verdict.Configuration == configuration);
            _forced = configuration;
            _forcedSet = true;
            if (!keep)
            {
                _verdict = null;
                Checked.Clear();
            }
        }
    }

    /// <summary>
    /// Runs the probes once per process and applies the configuration that passes (or the forced one, which must pass).
    /// Cheap after the first call.
    /// </summary>
    /// <exception cref="NumericsException">No configuration passes, or the forced one fails; the message names the failed probe.</exception>
    public static NumericsVerdict Ensure()
    {
        // Every backward pass calls this: no lock once the verdict exists.
        if (_verdict is { } decided)
        {
            return decided;
        }

        lock (Gate)
        {
            if (_verdict is not null)
            {
                return _verdict;
            }

            var forced = _forcedSet ? _forced : FromEnvironment();
            var cpu = forced?.IsaCap() is { } cap ? ApplyIsaCap(cap) : CpuInfo.Current();
            var verdict = Decide(forced, NumericsConfigurations.AutomaticOrder, cpu, torch.get_num_threads(), Probe);
            OneDnn.Apply(verdict.Configuration);
            if (verdict.IsFallback && !verdict.Forced)
            {
                verdict.CostRatio = MeasureCost(verdict.Configuration);
            }

            _verdict = verdict;
            if (verdict.IsFallback)
            {
                Log(verdict.Summary());
            }

            return verdict;
        }
    }

    /// <summary>
    /// The decision, apart from the machine: under <paramref name="forced"/> alone, or each configuration of
    /// <paramref name="order"/> in turn, <paramref name="probe"/> applies the configuration and runs the probes; the first
    /// that passes wins.
    /// </summary>
    /// <exception cref="NumericsException">The forced configuration fails, or none of <paramref name="order"/> passes.</exception>
    public static NumericsVerdict Decide(
        NumericsConfiguration? forced,
        IReadOnlyList<NumericsConfiguration> order,
        CpuInfo cpu,
        int threads,
        Func<NumericsConfiguration, ProbeReport> probe)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(probe);
        if (forced is { } f)
        {
            var report = probe(f);
            if (!report.Passed)
            {
                throw new NumericsException($"numerics: the forced configuration {f.ToCliName()} gives wrong numbers on {cpu}: {report.Worst}. Try another one with --numerics or {EnvironmentVariable} (known: {string.Join(", ", NumericsConfigurations.Names)}), or run 'chorus doctor --compare'.");
            }

            return new NumericsVerdict(f, forced: true, [report], cpu, threads);
        }

        var tried = new List<ProbeReport>();
        foreach (var c in order)
        {
            var report = probe(c);
            tried.Add(report);
            if (report.Passed)
            {
                return new NumericsVerdict(c, forced: false, tried, cpu, threads);
            }
        }

        throw new NumericsException($"numerics: no configuration gives correct numbers on {cpu}: {string.Join("; ", tried.Select(t => $"{t.Configuration.ToCliName()}: {t.Worst}"))}. Nothing was computed. Try an ISA cap ('--numerics onednn-isa-sse41') or run 'chorus doctor --compare'.");
    }

    /// <summary>
    /// Checks <paramref name="model"/> itself: its input gradient on the first <see cref="CheckBatch"/> images of <paramref name="images"/> (a
    /// single image is paired with its mirror image), in float32 in <paramref name="layout"/> under the configuration in
    /// force, against the same model converted to float64 (NCHW). Once per architecture, input size and layout in a
    /// process. When it fails, the next configuration of the automatic order is tried (probes and this check again).
    /// The model is left exactly as it was (weights, train/eval mode).
    /// </summary>
    /// <param name="model">A float32 classifier.</param>
    /// <param name="images">Images [N,C,H,W] as the run feeds them (the run's size and preprocessing).</param>
    /// <param name="targets">Target class per image; default class 0.</param>
    /// <param name="layout">The memory layout the run uses.</param>
    /// <returns>The check that passed (or the cached one).</returns>
    /// <exception cref="NumericsException">No configuration passes the check.</exception>
    public static ModelCheck CheckModel(IClassifier model, Tensor images, Tensor? targets = null, MemoryLayout layout = MemoryLayout.ChannelsLast)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        lock (Gate)
        {
            var verdict = Ensure();
            var key = Describe(model) + Shape(images.shape.Skip(1)) + layout.ToCliName();
            if (Checked.TryGetValue(key, out var cached))
            {
                return cached;
            }

            var before = verdict.Configuration;
            var check = Escalate(verdict, Probe, c => Measure(model, images, targets, layout, c), OneDnn.Apply);
            if (verdict.Configuration != before)
            {
                verdict.CostRatio = MeasureCost(verdict.Configuration);
                Log(verdict.Summary());
            }

            Checked[key] = check;
            return check;
        }
    }

    /// <summary>
    /// The model check's decision, apart from the machine: <paramref name="measure"/> the model under the verdict's
    /// configuration; while it fails and the configuration was not forced, move to the next configuration of the automatic
    /// order (<paramref name="apply"/> it, <paramref name="probe"/> it, measure again). Every check and probe run is
    /// recorded in <paramref name="verdict"/>.
    /// </summary>
    /// <returns>The check that passed.</returns>
    /// <exception cref="NumericsException">The check fails under the forced configuration or under the last one.</exception>
    internal static ModelCheck Escalate(
        NumericsVerdict verdict,
        Func<NumericsConfiguration, ProbeReport> probe,
        Func<NumericsConfiguration, ModelCheck> measure,
        Action<NumericsConfiguration> apply)
    {
        var check = measure(verdict.Configuration);
        verdict.ModelChecksList.Add(check);
        if (check.Passed)
        {
            return check;
        }

        if (!verdict.Forced)
        {
            var order = NumericsConfigurations.AutomaticOrder;
            foreach (var next in order.Skip(order.ToList().IndexOf(verdict.Configuration) + 1))
            {
                var report = probe(next);
                verdict.Tried = [.. verdict.Tried, report];
                if (!report.Passed)
                {
                    continue;
                }

                verdict.Configuration = next;
                apply(next);
                check = measure(next);
                verdict.ModelChecksList.Add(check);
                if (check.Passed)
                {
                    return check;
                }
            }
        }

        throw new NumericsException($"numerics: {check} on {verdict.Cpu} under {check.Configuration.ToCliName()}; {(verdict.Forced ? "the configuration was forced" : "no configuration left passes")}. Nothing was computed.");
    }

    /// <summary>
    /// A backward pass (every gradient Chorus takes) as a scope: runs <see cref="Ensure"/> first, then applies the
    /// configuration's backward rule until disposed: <c>using (NumericsGuard.Backward()) { … .backward() … }</c>.
    /// </summary>
    internal static OneDnn.BackwardScope Backward()
    {
        Ensure();
        return OneDnn.Backward();
    }

    private static NumericsConfiguration? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return NumericsConfigurations.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new NumericsException($"{EnvironmentVariable}: {e.Message}");
        }
    }

    private static CpuInfo ApplyIsaCap(string cap)
    {
        OneDnn.SetEnv("ONEDNN_MAX_CPU_ISA", cap);
        return CpuInfo.Current();
    }

    private static ProbeReport Probe(NumericsConfiguration configuration)
    {
        OneDnn.Apply(configuration);
        var clock = Stopwatch.StartNew();
        var probes = NumericsProbes.RunAll();
        return new ProbeReport(configuration, probes, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Median time of a conv 64→64 3×3 forward + input gradient (batch 8, 28²) under <paramref name="configuration"/> ÷ under native.</summary>
    private static double MeasureCost(NumericsConfiguration configuration)
    {
        double Time(NumericsConfiguration c)
        {
            OneDnn.Apply(c);
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            using var g = new Generator(1);
            var x = randn([8, 64, 28, 28], generator: g);
            var w = randn([64, 64, 3, 3], generator: g);
            var times = new List<double>();
            for (var r = 0; r < 5; r++)
            {
                using var inner = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                var xx = x.detach().requires_grad_(true);
                var y = nn.functional.conv2d(nn.functional.conv2d(xx, w, null, [1, 1], [1, 1]), w, null, [1, 1], [1, 1]);
                using (OneDnn.Backward())
                {
                    torch.autograd.grad([y.sum()], [xx]);
                }

                times.Add(clock.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            return times[times.Count / 2];
        }

        var native = Time(NumericsConfiguration.Native);
        var chosen = Time(configuration);
        OneDnn.Apply(configuration);
        return chosen / native;
    }

    private static string Describe(IClassifier model)
    {
        var parameters = model.Module.parameters().Sum(p => p.numel());
        return $"{model.GetType().Name} ({parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters)";
    }

    private static string Shape(IEnumerable<long> shape) => "[" + string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>One model check under the configuration in force (labelled <paramref name="configuration"/>), without any decision.</summary>
    internal static ModelCheck Measure(IClassifier model, Tensor images, Tensor? targets, MemoryLayout layout, NumericsConfiguration configuration)
    {
        // A float32 pass may settle a near-tie (a ReLU input within rounding of 0, two values of a max-pool window within
        // rounding of each other) the other way from float64, which moves a whole patch of the input gradient: measured
        // 1-4e-2 under every configuration, oneDNN off included, on SmallCnn checks of SynthBirds and SynthLesions, for
        // some images and not others. Such a flip depends on the exact input; a wrong kernel (the oneDNN fault was off by
        // 0.125) does not. So a failing check is measured again on the images plus a small seeded jitter, up to
        // JitterDraws times, and the best draw counts.
        var clock = Stopwatch.StartNew();
        var best = MeasureOnce(model, images, targets, layout, configuration, draw: 0);
        for (var draw = 1; !best.Passed && draw <= JitterDraws; draw++)
        {
            var again = MeasureOnce(model, images, targets, layout, configuration, draw);
            if (!double.IsFinite(best.GradientError) || again.GradientError < best.GradientError)
            {
                best = again;
            }
        }

        return best with { Milliseconds = clock.Elapsed.TotalMilliseconds };
    }

    /// <summary>How many jittered inputs a failing model check tries before it fails (see <see cref="Measure"/>).</summary>
    public const int JitterDraws = 2;

    private static ModelCheck MeasureOnce(IClassifier model, Tensor images, Tensor? targets, MemoryLayout layout, NumericsConfiguration configuration, int draw)
    {
        var training = model.Module.training;
        model.Module.eval();
        try
        {
            using var scope = NewDisposeScope();
            var n = (int)Math.Min(images.shape[0], CheckBatch);
            var x = images.narrow(0, 0, n).to_type(ScalarType.Float32).contiguous();
            if (n == 1)
            {
                x = cat([x, x.flip(3)], 0);
            }

            if (draw > 0)
            {
                // 1 % of the images' spread: far above float32 rounding, far below anything that changes the model's view.
                using var generator = new Generator(20_240_917UL + (ulong)draw);
                var spread = Math.Max(x.std().item<float>(), 1e-6f);
                x = (x + (randn(x.shape, dtype: ScalarType.Float32, generator: generator) * (0.01f * spread))).contiguous();
            }

            var batch = x.shape[0];
            var y = targets is null
                ? zeros([batch], ScalarType.Int64)
                : (n == 1 ? targets.narrow(0, 0, 1).repeat(2) : targets.narrow(0, 0, n)).to_type(ScalarType.Int64);
            Tensor g32, l32;
            using (var borrowed = layout.Borrow(model, x))
            {
                (g32, l32) = GradientAndLogits((IClassifier?)borrowed ?? model, x, y);
            }

            Tensor g64, l64;
            using (new ModuleDtype(model.Module, ScalarType.Float64, "the numerics check"))
            {
                (g64, l64) = GradientAndLogits(model, x.to_type(ScalarType.Float64), y);
            }

            static double RelL2(Tensor a, Tensor b)
            {
                var norm = b.norm().item<double>();
                var diff = (a - b).norm().item<double>();
                return double.IsFinite(diff) ? diff / Math.Max(norm, double.Epsilon) : double.NaN;
            }

            var perImage = Enumerable.Range(0, (int)batch).Select(i => RelL2(g32[i], g64[i])).ToArray();
            return new ModelCheck(Describe(model), Shape([n, .. images.shape.Skip(1)]), layout.ToCliName(), configuration, RelL2(l32, l64), RelL2(g32, g64), perImage, 0);
        }
        finally
        {
            if (training)
            {
                model.Module.train();
            }
        }
    }

    /// <summary>∂ Σ logit_target / ∂ input and the logits, from one forward pass, both in float64.</summary>
    private static (Tensor Gradient, Tensor Logits) GradientAndLogits(IClassifier model, Tensor input, Tensor target)
    {
        using var grad = enable_grad();
        var x = input.detach().requires_grad_(true);
        var logits = model.Forward(x);
        var score = Gradients.TargetScore(logits, target);
        using (Backward())
        {
            var g = torch.autograd.grad([score], [x])[0];
            return (g.to_type(ScalarType.Float64).contiguous(), logits.detach().to_type(ScalarType.Float64));
        }
    }
}
