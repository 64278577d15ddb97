using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Chorus.Torch.Numerics;

/// <summary>One quantity of one probe: float32 against float64, and the tolerance float32 is allowed.</summary>
/// <param name="Probe">The probe, e.g. <c>conv 3→8 3×3 b4 16² channels-last</c>.</param>
/// <param name="Quantity"><c>output</c>, <c>dX</c> (input gradient) or <c>dW</c> (weight gradient).</param>
/// <param name="Error">max |float32 − float64| / max |float64| over the tensor (NaN when float32 gave a non-finite value).</param>
/// <param name="Tolerance">32 · depth · u · √K, u = 2⁻²⁴ (float32's unit roundoff), K the longest sum in the probe.</param>
public sealed record ProbeResult(string Probe, string Quantity, double Error, double Tolerance)
{
    /// <summary>Error within tolerance (and finite).</summary>
    public bool Passed => !double.IsNaN(Error) && Error <= Tolerance;

    /// <summary>e.g. <c>conv 3→8 3×3 b4 16² nchw dX off by 1.2e-01 (tolerance 6.1e-05)</c>.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"{Probe} {Quantity} off by {Error:0.0e+00} (tolerance {Tolerance:0.0e+00})");
}

/// <summary>
/// The quick numerics probes: small computations of every kind Chorus runs (convolutions forward, input and weight
/// gradients, with 3 input channels and batches above 1, in NCHW and channels-last, strided, 1×1 and depthwise;
/// the two-convolution chain that failed on a Zen 4 CPU; max and average pooling; linear layers; batch norm in eval
/// mode), each computed in float32 under the current configuration and in float64, from the same float32 data.
/// </summary>
/// <remarks>
/// The tolerance is float32's own rounding error, not a guess: a length-K sum carries a relative error of about
/// u·√K (u = 2⁻²⁴, Higham's probabilistic bound), each layer of depth adds its own, and a factor 32 keeps healthy
/// kernels clear of it (measured errors are 0.05–0.3 of u·√K·depth). A wrong kernel is off by 1e-2 to 1.
/// No probe applies ReLU or max-pools a computed tensor, so float32 and float64 always take the same branches.
/// Conv probes run <see cref="Repeats"/> times: with several threads a broken kernel was seen failing at random.
/// </remarks>
public static class NumericsProbes
{
    /// <summary>How often each convolution probe runs.</summary>
    public const int Repeats = 3;

    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const double Safety = 32;

    /// <summary>Runs every probe under the configuration in force now; returns one result per probe and quantity.</summary>
    public static IReadOnlyList<ProbeResult> RunAll()
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var results = new List<ProbeResult>();
        foreach (var cl in new[] { false, true })
        {
            var layout = cl ? "channels-last" : "nchw";
            // The first layer of every model (3 input channels), at batches above 1: the shapes that failed.
            Conv(results, $"conv 3→8 3×3 b4 16² {layout}", cl, n: 4, cin: 3, cout: 8, k: 3, hw: 16, stride: 1, groups: 1);
            Conv(results, $"conv 3→16 7×7/2 b2 32² {layout}", cl, n: 2, cin: 3, cout: 16, k: 7, hw: 32, stride: 2, groups: 1);
            Conv(results, $"conv 16→32 3×3/2 b4 16² {layout}", cl, n: 4, cin: 16, cout: 32, k: 3, hw: 16, stride: 2, groups: 1);
            Conv(results, $"conv 16→32 1×1/2 b4 16² {layout}", cl, n: 4, cin: 16, cout: 32, k: 1, hw: 16, stride: 2, groups: 1);
            Conv(results, $"conv 32 depthwise 3×3 b4 16² {layout}", cl, n: 4, cin: 32, cout: 32, k: 3, hw: 16, stride: 1, groups: 32);
            Conv(results, $"conv 64→64 3×3 b4 8² {layout}", cl, n: 4, cin: 64, cout: 64, k: 3, hw: 8, stride: 1, groups: 1);
            Chain(results, $"conv 3→6→8 3×3 b4 8² {layout}", cl, n: 4, hw: 8);
            Chain(results, $"conv 3→6→8 3×3 b2 32² {layout}", cl, n: 2, hw: 32);
        }

        Pooling(results);
        Linear(results);
        BatchNorm(results);
        return results;
    }

    private static double Tolerance(int depth, long k) => Safety * depth * UnitRoundoff * Math.Sqrt(Math.Max(1, k));

    private static Generator Seeded(string name) => new((ulong)(uint)StableHash(name));

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var ch in s)
            {
                h = (h ^ ch) * 16777619;
            }

            return h;
        }
    }

    private static Tensor Leaf(Tensor t, ScalarType dtype, bool channelsLast)
    {
        var cast = t.to_type(dtype);
        return (channelsLast ? ChannelsLastClassifier.ToChannelsLast(cast) : cast).detach().requires_grad_(true);
    }

    private static Tensor[] Grad(Tensor score, params Tensor[] wrt)
    {
        using (OneDnn.Backward())
        {
            return [.. torch.autograd.grad([score], wrt)];
        }
    }

    private static void Compare(List<ProbeResult> results, string probe, double tolerance, IReadOnlyList<(string Quantity, Tensor F32, Tensor F64)> pairs)
    {
        foreach (var (quantity, a, b) in pairs)
        {
            var reference = b.to_type(ScalarType.Float64);
            var scale = reference.abs().max().item<double>();
            var diff = (a.to_type(ScalarType.Float64) - reference).abs().max().item<double>();
            var error = double.IsFinite(diff) ? diff / Math.Max(scale, double.Epsilon) : double.NaN;
            results.Add(new ProbeResult(probe, quantity, error, tolerance));
        }
    }

    private static void Conv(List<ProbeResult> results, string name, bool channelsLast, int n, int cin, int cout, int k, int hw, int stride, int groups)
    {
        var pad = k / 2;
        var g = Seeded(name);
        var x = randn([n, cin, hw, hw], generator: g);
        var w = randn([cout, cin / groups, k, k], generator: g) / Math.Sqrt(cin / groups * k * k);
        var outHw = ((hw + (2 * pad) - k) / stride) + 1;
        var gy = randn([n, cout, outHw, outHw], generator: g);
        var tolerance = Tolerance(1, Math.Max(Math.Max(cin / groups * k * k, cout / groups * k * k), (long)n * outHw * outHw));
        (Tensor Y, Tensor DX, Tensor DW) Run(ScalarType dtype, bool cl)
        {
            var xx = Leaf(x, dtype, cl);
            var ww = Leaf(w, dtype, cl);
            var y = F.conv2d(xx, ww, null, [stride, stride], [pad, pad], [1, 1], groups);
            var grads = Grad((y * gy.to_type(dtype)).sum(), xx, ww);
            return (y, grads[0], grads[1]);
        }

        Repeated(results, name, tolerance, channelsLast, Run);
    }

    /// <summary>
    /// Runs a convolution probe <see cref="Repeats"/> times in float32 against one float64 reference; keeps the first
    /// failing repeat's rows, else the last repeat's.
    /// </summary>
    private static void Repeated(List<ProbeResult> results, string name, double tolerance, bool channelsLast, Func<ScalarType, bool, (Tensor Y, Tensor DX, Tensor DW)> run)
    {
        var reference = run(ScalarType.Float64, false);
        for (var r = 0; r < Repeats; r++)
        {
            using var inner = NewDisposeScope();
            var f = run(ScalarType.Float32, channelsLast);
            var before = results.Count;
            Compare(results, name, tolerance, [("output", f.Y, reference.Y), ("dX", f.DX, reference.DX), ("dW", f.DW, reference.DW)]);
            var failed = results.Skip(before).Any(p => !p.Passed);
            if (failed || r == Repeats - 1)
            {
                return;
            }

            results.RemoveRange(before, results.Count - before);
        }
    }

    /// <summary>The case measured on the Zen 4 CPU: Conv2d(3→6, 3×3, pad 1) then Conv2d(6→8), Σ output, ∂/∂input.</summary>
    private static void Chain(List<ProbeResult> results, string name, bool channelsLast, int n, int hw)
    {
        var g = Seeded(name);
        var x = randn([n, 3, hw, hw], generator: g);
        var w1 = randn([6, 3, 3, 3], generator: g) / Math.Sqrt(27);
        var w2 = randn([8, 6, 3, 3], generator: g) / Math.Sqrt(54);
        var tolerance = Tolerance(2, (long)n * hw * hw);
        (Tensor Y, Tensor DX, Tensor DW) Run(ScalarType dtype, bool cl)
        {
            var xx = Leaf(x, dtype, cl);
            var a = Leaf(w1, dtype, cl);
            var b = Leaf(w2, dtype, cl);
            var y = F.conv2d(F.conv2d(xx, a, null, [1, 1], [1, 1]), b, null, [1, 1], [1, 1]);
            var grads = Grad(y.sum(), xx, a);
            return (y, grads[0], grads[1]);
        }

        Repeated(results, name, tolerance, channelsLast, Run);
    }

    private static void Pooling(List<ProbeResult> results)
    {
        foreach (var cl in new[] { false, true })
        {
            var layout = cl ? "channels-last" : "nchw";
            var g = Seeded("pool " + layout);
            var x = randn([4, 16, 16, 16], generator: g);
            var gyMax = randn([4, 16, 8, 8], generator: g);
            var gyAvg = randn([4, 16, 8, 8], generator: g);
            var gyAdaptive = randn([4, 16, 1, 1], generator: g);
            (Tensor Max, Tensor DMax, Tensor Avg, Tensor DAvg, Tensor Adaptive, Tensor DAdaptive) Run(ScalarType dtype, bool c)
            {
                var xx = Leaf(x, dtype, c);
                var max = F.max_pool2d(xx, [3, 3], [2, 2], [1, 1]);
                var avg = F.avg_pool2d(xx, [2, 2], [2, 2]);
                var adaptive = F.adaptive_avg_pool2d(xx, [1, 1]);
                var dMax = Grad((max * gyMax.to_type(dtype)).sum(), xx)[0];
                var dAvg = Grad((avg * gyAvg.to_type(dtype)).sum(), xx)[0];
                var dAdaptive = Grad((adaptive * gyAdaptive.to_type(dtype)).sum(), xx)[0];
                return (max, dMax, avg, dAvg, adaptive, dAdaptive);
            }

            var f = Run(ScalarType.Float32, cl);
            var d = Run(ScalarType.Float64, false);
            Compare(results, $"max pool 3×3/2 b4 16² {layout}", Tolerance(1, 9), [("output", f.Max, d.Max), ("dX", f.DMax, d.DMax)]);
            Compare(results, $"avg pool 2×2/2 b4 16² {layout}", Tolerance(1, 4), [("output", f.Avg, d.Avg), ("dX", f.DAvg, d.DAvg)]);
            Compare(results, $"adaptive avg pool 1×1 b4 16² {layout}", Tolerance(1, 256), [("output", f.Adaptive, d.Adaptive), ("dX", f.DAdaptive, d.DAdaptive)]);
        }
    }

    private static void Linear(List<ProbeResult> results)
    {
        const string name = "linear 512→10 b4";
        var g = Seeded(name);
        var x = randn([4, 512], generator: g);
        var w = randn([10, 512], generator: g) / Math.Sqrt(512);
        var bias = randn([10], generator: g);
        var gy = randn([4, 10], generator: g);
        (Tensor Y, Tensor DX, Tensor DW) Run(ScalarType dtype)
        {
            var xx = Leaf(x, dtype, false);
            var ww = Leaf(w, dtype, false);
            var y = F.linear(xx, ww, bias.to_type(dtype));
            var grads = Grad((y * gy.to_type(dtype)).sum(), xx, ww);
            return (y, grads[0], grads[1]);
        }

        var f = Run(ScalarType.Float32);
        var d = Run(ScalarType.Float64);
        Compare(results, name, Tolerance(1, 512), [("output", f.Y, d.Y), ("dX", f.DX, d.DX), ("dW", f.DW, d.DW)]);
    }

    private static void BatchNorm(List<ProbeResult> results)
    {
        foreach (var cl in new[] { false, true })
        {
            var name = $"batch norm eval b4 16² {(cl ? "channels-last" : "nchw")}";
            var g = Seeded(name);
            var x = randn([4, 16, 16, 16], generator: g);
            var mean = randn([16], generator: g);
            var variance = rand([16], generator: g) + 0.5;
            var weight = randn([16], generator: g);
            var bias = randn([16], generator: g);
            var gy = randn([4, 16, 16, 16], generator: g);
            (Tensor Y, Tensor DX) Run(ScalarType dtype, bool c)
            {
                var xx = Leaf(x, dtype, c);
                var y = F.batch_norm(xx, mean.to_type(dtype), variance.to_type(dtype), weight.to_type(dtype), bias.to_type(dtype), training: false, eps: 1e-5);
                return (y, Grad((y * gy.to_type(dtype)).sum(), xx)[0]);
            }

            var f = Run(ScalarType.Float32, cl);
            var d = Run(ScalarType.Float64, false);
            Compare(results, name, Tolerance(1, 4), [("output", f.Y, d.Y), ("dX", f.DX, d.DX)]);
        }
    }
}
