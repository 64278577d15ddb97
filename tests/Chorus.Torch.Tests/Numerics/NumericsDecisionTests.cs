using Chorus.Torch.Numerics;

namespace Chorus.Torch.Tests.Numerics;

/// <summary>The guard's decisions with injected probe results: what it picks, in which order, and when it refuses.</summary>
public class NumericsDecisionTests
{
    private static readonly CpuInfo Zen4 = new("AMD EPYC", ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"], null);

    private static ProbeReport Passing(NumericsConfiguration c) =>
        new(c, [new ProbeResult("conv 3→8 3×3 b4 16² nchw", "dX", 1e-7, 6e-5), new ProbeResult("linear 512→10 b4", "dW", 2e-7, 4e-5)], 10);

    private static ProbeReport Failing(NumericsConfiguration c) =>
        new(c, [new ProbeResult("conv 3→8 3×3 b4 16² nchw", "dX", 0.12, 6e-5), new ProbeResult("linear 512→10 b4", "dW", 2e-7, 4e-5)], 10);

    private static ModelCheck Check(NumericsConfiguration c, double gradientError) =>
        new("SmallCnn (61,338 parameters)", "[2,3,64,64]", "channels-last", c, 2e-7, gradientError, [gradientError, gradientError], 5);

    [Fact]
    public void Decide_NativePasses_KeepsNative_AndTriesNothingElse()
    {
        var tried = new List<NumericsConfiguration>();
        var verdict = NumericsGuard.Decide(null, NumericsConfigurations.AutomaticOrder, Zen4, 2, c =>
        {
            tried.Add(c);
            return Passing(c);
        });

        Assert.Equal(NumericsConfiguration.Native, verdict.Configuration);
        Assert.False(verdict.IsFallback);
        Assert.False(verdict.Forced);
        Assert.Equal([NumericsConfiguration.Native], tried);
    }

    [Fact]
    public void Decide_NativeFails_PicksTheFirstThatPasses_InOrder()
    {
        var tried = new List<NumericsConfiguration>();
        var verdict = NumericsGuard.Decide(null, NumericsConfigurations.AutomaticOrder, Zen4, 2, c =>
        {
            tried.Add(c);
            return c == NumericsConfiguration.Native ? Failing(c) : Passing(c);
        });

        Assert.Equal(NumericsConfiguration.OneDnnOffInBackward, verdict.Configuration);
        Assert.True(verdict.IsFallback);
        Assert.Equal([NumericsConfiguration.Native, NumericsConfiguration.OneDnnOffInBackward], tried);
        Assert.Equal(NumericsConfiguration.OneDnnOffInBackward, verdict.Probes.Configuration);

        // The stderr line names the CPU, the failed probe, the configuration chosen.
        var line = verdict.Summary();
        Assert.Contains("AMD EPYC", line, StringComparison.Ordinal);
        Assert.Contains("avx512_bf16", line, StringComparison.Ordinal);
        Assert.Contains("conv 3→8 3×3 b4 16² nchw dX off by 1.2e-01", line, StringComparison.Ordinal);
        Assert.Contains("using onednn-off-backward", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Decide_NothingPasses_ThrowsOneLine_NamingEveryFailure()
    {
        var e = Assert.Throws<NumericsException>(() => NumericsGuard.Decide(null, NumericsConfigurations.AutomaticOrder, Zen4, 2, Failing));

        Assert.DoesNotContain('\n', e.Message);
        foreach (var c in NumericsConfigurations.AutomaticOrder)
        {
            Assert.Contains(c.ToCliName() + ": conv 3→8", e.Message, StringComparison.Ordinal);
        }

        Assert.Contains("Nothing was computed", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<ChorusException>(e);   // the CLI prints it as a user error (exit 2)
    }

    [Fact]
    public void Decide_Forced_RunsOnlyThatOne_AndRefusesItWhenItFails()
    {
        var tried = new List<NumericsConfiguration>();
        var verdict = NumericsGuard.Decide(NumericsConfiguration.OneDnnOff, NumericsConfigurations.AutomaticOrder, Zen4, 2, c =>
        {
            tried.Add(c);
            return Passing(c);
        });
        Assert.Equal(NumericsConfiguration.OneDnnOff, verdict.Configuration);
        Assert.True(verdict.Forced);
        Assert.Equal([NumericsConfiguration.OneDnnOff], tried);
        Assert.Contains("forced", verdict.Summary(), StringComparison.Ordinal);

        var e = Assert.Throws<NumericsException>(() => NumericsGuard.Decide(NumericsConfiguration.Native, NumericsConfigurations.AutomaticOrder, Zen4, 2, Failing));
        Assert.Contains("forced configuration native", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProbeResult_FailsAboveTolerance_AndOnNaN()
    {
        Assert.True(new ProbeResult("p", "dX", 1e-6, 1e-5).Passed);
        Assert.True(new ProbeResult("p", "dX", 1e-5, 1e-5).Passed);
        Assert.False(new ProbeResult("p", "dX", 2e-5, 1e-5).Passed);
        Assert.False(new ProbeResult("p", "dX", double.NaN, 1e-5).Passed);
        Assert.False(new ProbeReport(NumericsConfiguration.Native, [], 0).Passed);   // no probe ran: nothing is known
    }

    [Fact]
    public void Escalate_ModelCheckFails_MovesToTheNextConfigurationWhoseProbesPass()
    {
        var verdict = NumericsGuard.Decide(null, NumericsConfigurations.AutomaticOrder, Zen4, 2, Passing);
        var applied = new List<NumericsConfiguration>();

        // native fails the model check; onednn-off-backward fails its probes; onednn-off passes both
        var check = NumericsGuard.Escalate(
            verdict,
            c => c == NumericsConfiguration.OneDnnOffInBackward ? Failing(c) : Passing(c),
            c => Check(c, c == NumericsConfiguration.OneDnnOff ? 3e-7 : 0.3),
            applied.Add);

        Assert.True(check.Passed);
        Assert.Equal(NumericsConfiguration.OneDnnOff, verdict.Configuration);
        Assert.Equal([NumericsConfiguration.OneDnnOff], applied);
        Assert.Equal([NumericsConfiguration.Native, NumericsConfiguration.OneDnnOff], verdict.ModelChecks.Select(c => c.Configuration));
        Assert.Equal([NumericsConfiguration.Native, NumericsConfiguration.OneDnnOffInBackward, NumericsConfiguration.OneDnnOff], verdict.Tried.Select(t => t.Configuration));
        Assert.Contains("native:", verdict.Summary(), StringComparison.Ordinal);
        Assert.Equal(NumericsConfiguration.OneDnnOff, verdict.Probes.Configuration);
    }

    [Fact]
    public void Escalate_ForcedConfiguration_FailingModelCheck_Throws()
    {
        var verdict = NumericsGuard.Decide(NumericsConfiguration.Native, NumericsConfigurations.AutomaticOrder, Zen4, 2, Passing);
        var e = Assert.Throws<NumericsException>(() => NumericsGuard.Escalate(verdict, Passing, c => Check(c, 0.3), _ => throw new InvalidOperationException("must not switch")));
        Assert.Contains("input gradient off by 3.0e-01", e.Message, StringComparison.Ordinal);
        Assert.Contains("forced", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelCheck_Tolerances()
    {
        Assert.True(Check(NumericsConfiguration.Native, 6e-3).Passed);    // a ReLU or max-pool tie switched: float32's own error
        Assert.False(Check(NumericsConfiguration.Native, 0.125).Passed);  // the broken oneDNN kernel
        Assert.False(Check(NumericsConfiguration.Native, double.NaN).Passed);
        Assert.False((Check(NumericsConfiguration.Native, 1e-7) with { ForwardError = 0.01 }).Passed);
    }

    [Theory]
    [InlineData("auto", null)]
    [InlineData("native", NumericsConfiguration.Native)]
    [InlineData(" ONEDNN-OFF-BACKWARD ", NumericsConfiguration.OneDnnOffInBackward)]
    [InlineData("onednn-off", NumericsConfiguration.OneDnnOff)]
    [InlineData("onednn-isa-avx2", NumericsConfiguration.OneDnnIsaAvx2)]
    [InlineData("onednn-isa-sse41", NumericsConfiguration.OneDnnIsaSse41)]
    public void Configurations_ParseEveryName(string text, NumericsConfiguration? expected)
    {
        Assert.Equal(expected, NumericsConfigurations.Parse(text));
        if (expected is { } c)
        {
            Assert.Equal(c, NumericsConfigurations.Parse(c.ToCliName()));
        }
    }

    [Fact]
    public void Configurations_UnknownName_ListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => NumericsConfigurations.Parse("fast"));
        Assert.Contains("onednn-isa-sse41", e.Message, StringComparison.Ordinal);
        Assert.Equal(["native", "onednn-off-backward", "onednn-off"], NumericsConfigurations.AutomaticOrder.Select(c => c.ToCliName()));
    }

    [Theory]
    [InlineData(new[] { "sse4_1" }, null, "sse41")]
    [InlineData(new[] { "avx2", "fma" }, null, "avx2")]
    [InlineData(new[] { "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq" }, null, "avx512_core")]
    [InlineData(new[] { "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16" }, null, "avx512_core_bf16")]
    [InlineData(new[] { "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8" }, null, "avx512_core_amx")]
    [InlineData(new[] { "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16" }, "AVX2", "avx2")]
    public void CpuInfo_OneDnnIsa_FollowsFlagsAndCap(string[] flags, string? cap, string expected)
    {
        Assert.Equal(expected, new CpuInfo("cpu", flags, cap).OneDnnIsa);
    }

    [Fact]
    public void Verdict_Json_HoldsCpuProbesAndModelChecks()
    {
        var verdict = NumericsGuard.Decide(null, NumericsConfigurations.AutomaticOrder, Zen4, 2, c => c == NumericsConfiguration.Native ? Failing(c) : Passing(c));
        NumericsGuard.Escalate(verdict, Passing, c => Check(c, 1e-7), _ => { });

        var json = verdict.ToJson();

        Assert.Equal("onednn-off-backward", json["configuration"]!.GetValue<string>());
        Assert.True(json["fallback"]!.GetValue<bool>());
        Assert.Equal("AMD EPYC", json["cpu"]!["model"]!.GetValue<string>());
        Assert.StartsWith("avx512_core_bf16", json["cpu"]!["onednn_isa"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, json["tried"]!.AsArray().Count);
        Assert.False(json["tried"]![0]!["passed"]!.GetValue<bool>());
        Assert.Equal(2, json["probes"]!.AsArray().Count);
        Assert.Equal(1e-7, json["model_checks"]![0]!["gradient_error"]!.GetValue<double>());
    }
}
