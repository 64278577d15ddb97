using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Numerics;

/// <summary>The probes and the model check for real, on this machine, under the configuration the guard chose.</summary>
public class NumericsProbeTests(ITestOutputHelper output)
{
    [Fact]
    public void Guard_OnThisMachine_FindsAConfigurationWhoseProbesAllPass()
    {
        var verdict = NumericsGuard.Ensure();
        output.WriteLine(verdict.Summary());
        output.WriteLine($"probes: {verdict.Probes.Probes.Count} in {verdict.Probes.Milliseconds:F0} ms; worst {verdict.Probes.Worst}");

        Assert.True(verdict.Probes.Passed);
        Assert.Same(verdict, NumericsGuard.Ensure());   // once per process
        Assert.Equal(verdict.Configuration, verdict.Probes.Configuration);
    }

    [Fact]
    public void Probes_CoverWhatChorusRuns_WithToleranceFromFloat32sRoundoff()
    {
        NumericsGuard.Ensure();
        var results = NumericsProbes.RunAll();
        var names = results.Select(r => r.Probe).Distinct().ToList();

        foreach (var needle in new[] { "conv 3→", "/2", "1×1", "depthwise", "conv 3→6→8", "max pool", "avg pool", "adaptive avg pool", "linear", "batch norm eval" })
        {
            Assert.Contains(names, n => n.Contains(needle, StringComparison.Ordinal));
        }

        Assert.Contains(names, n => n.EndsWith("channels-last", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("nchw", StringComparison.Ordinal));
        foreach (var quantity in new[] { "output", "dX", "dW" })
        {
            Assert.Contains(results, r => r.Quantity == quantity);
        }

        // Tolerances are float32's own: 32 · depth · 2⁻²⁴ · √K, between 1e-6 and 1e-3 for these shapes.
        Assert.All(results, r => Assert.InRange(r.Tolerance, 1e-6, 1e-3));
        Assert.All(results, r => Assert.True(r.Passed, r.ToString()));
    }

    [Fact]
    public void ModelCheck_SmallCnn_PassesInBothLayouts_AndLeavesTheModelExactlyAsItWas()
    {
        NumericsGuard.Ensure();
        using var scope = NewDisposeScope();
        using var model = new SmallCnn(5);
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var images = rand([3, 3, 32, 32], generator: new Generator(5));

        foreach (var layout in new[] { MemoryLayout.ChannelsLast, MemoryLayout.Contiguous })
        {
            var check = NumericsGuard.Measure(model, images, tensor(new long[] { 0, 1, 2 }), layout, NumericsConfiguration.Native);
            output.WriteLine(check.ToString());
            Assert.True(check.Passed, check.ToString());
            Assert.Equal("[2,3,32,32]", check.Input);
            Assert.Equal(2, check.PerImage.Count);
            Assert.InRange(check.GradientError, 0, 1e-4);
        }

        Assert.True(model.training);
        foreach (var (name, t) in model.state_dict())
        {
            Assert.Equal(ScalarType.Float32, t.is_floating_point() ? t.dtype : ScalarType.Float32);
            Assert.True(t.eq(before[name]).all().item<bool>(), name);
            Assert.True(t.is_contiguous(), name);
        }
    }

    [Fact]
    public void ModelCheck_SingleImage_IsPairedWithItsMirror()
    {
        NumericsGuard.Ensure();
        using var scope = NewDisposeScope();
        using var model = new SmallCnn(3);
        model.eval();
        var check = NumericsGuard.Measure(model, rand([1, 3, 24, 24], generator: new Generator(2)), null, MemoryLayout.ChannelsLast, NumericsConfiguration.Native);
        Assert.Equal(2, check.PerImage.Count);
        Assert.True(check.Passed, check.ToString());
    }

    [Fact]
    public void ModelCheck_WrongFloat32Gradient_IsCaught()
    {
        // A model whose float32 backward is wrong (as the broken oneDNN kernel was) and whose forward is right.
        NumericsGuard.Ensure();
        using var scope = NewDisposeScope();
        using var inner = new SmallCnn(4);
        inner.eval();
        using var broken = new WrongFloat32Gradient(inner);
        var check = NumericsGuard.Measure(broken, rand([2, 3, 32, 32], generator: new Generator(9)), null, MemoryLayout.Contiguous, NumericsConfiguration.Native);

        output.WriteLine(check.ToString());
        Assert.False(check.Passed);
        Assert.InRange(check.ForwardError, 0, 1e-5);
        Assert.InRange(check.GradientError, 0.2, 0.3);
    }

    /// <summary>The inner model with its float32 input gradient scaled by 1.25 (values unchanged); float64 is left right.</summary>
    private sealed class WrongFloat32Gradient(IClassifier inner) : IClassifier
    {
        public nn.Module Module => inner.Module;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> LayerNames => inner.LayerNames;

        public string DefaultCamLayer => inner.DefaultCamLayer;

        public Tensor Forward(Tensor input) => inner.Forward(Skew(input));

        public Tensor Forward(Tensor input, string layer, out Tensor activation) => inner.Forward(Skew(input), layer, out activation);

        public void Dispose()
        {
        }

        private static Tensor Skew(Tensor x) => x.dtype == ScalarType.Float32 ? (x * 1.25) - (x * 0.25).detach() : x;
    }
}
