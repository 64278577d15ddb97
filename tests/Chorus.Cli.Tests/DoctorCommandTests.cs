using System.Text.Json.Nodes;
using Chorus.Cli.Commands;
using Chorus.Torch.Numerics;
using Xunit.Abstractions;

namespace Chorus.Cli.Tests;

public class DoctorCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Doctor_PrintsTheMachineAndTheVerdict_ExitZero()
    {
        var (code, text) = await CliRunner.RunAsync("doctor");
        output.WriteLine(text);

        Assert.Equal(0, code);
        foreach (var needle in new[] { "chorus doctor", "TorchSharp", "libtorch", "cpu", "oneDNN ISA", "threads", "allocator", "Numerics:", "Model check: passed" })
        {
            Assert.Contains(needle, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Doctor_Json_IsOneLineWithTheVerdict()
    {
        var (code, text) = await CliRunner.RunAsync("doctor", "--json", "--time");
        Assert.Equal(0, code);
        var line = text.Split('\n').Single(l => l.StartsWith('{'));
        var json = JsonNode.Parse(line)!;
        Assert.Contains(json["numerics"]!["configuration"]!.GetValue<string>(), NumericsConfigurations.Names);
        Assert.True(json["numerics"]!["model_checks"]![0]!["passed"]!.GetValue<bool>());
        Assert.True(json["time_ms"]!.GetValue<double>() > 0);
    }

    [Fact]
    public async Task Doctor_UnknownConfiguration_IsAUserError_ListingTheNames()
    {
        var (code, text) = await CliRunner.RunAsync("doctor", "--numerics", "fast");
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains("onednn-off-backward", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each forced configuration takes effect, seen in oneDNN's own verbose log of a child <c>chorus doctor</c>: native runs
    /// oneDNN convolutions forward and backward; onednn-off-backward only forward; onednn-off none; the SSE4.1 cap makes
    /// oneDNN report and dispatch to SSE4.1. Holds on a machine whose native kernels are fine.
    /// </summary>
    [Fact]
    public void ForcedConfigurations_TakeEffect_PerOneDnnsVerboseLog()
    {
        var settings = new DoctorCommand.Settings { Threads = 2, Size = 32 };
        var native = DoctorCommand.RunChild(NumericsConfiguration.Native, settings);
        var offBackward = DoctorCommand.RunChild(NumericsConfiguration.OneDnnOffInBackward, settings);
        var off = DoctorCommand.RunChild(NumericsConfiguration.OneDnnOff, settings);
        var sse41 = DoctorCommand.RunChild(NumericsConfiguration.OneDnnIsaSse41, settings);
        foreach (var (name, r) in new[] { ("native", native), ("onednn-off-backward", offBackward), ("onednn-off", off), ("onednn-isa-sse41", sse41) })
        {
            output.WriteLine($"{name}: error {r.Error ?? "none"}; isa {r.Isa}; {r.Convolutions}; {string.Join(", ", r.Kernels)}; model check {r.ModelCheck}; {r.Milliseconds} ms");
            Assert.Null(r.Error);
            Assert.StartsWith("passed", r.ModelCheck, StringComparison.Ordinal);
        }

        Assert.True(native.ForwardConvolutions > 0 && native.BackwardConvolutions > 0);
        Assert.True(offBackward.ForwardConvolutions > 0);
        Assert.Equal(0, offBackward.BackwardConvolutions);
        Assert.Equal(0, off.ForwardConvolutions + off.BackwardConvolutions);
        Assert.Contains("SSE4.1", sse41.Isa, StringComparison.Ordinal);
        Assert.True(sse41.ForwardConvolutions > 0);
        Assert.DoesNotContain(sse41.Kernels, k => k.Contains("avx", StringComparison.Ordinal));
    }

    [Fact]
    public void ParseChild_ReadsOneDnnsLogAndTheJsonLine()
    {
        string[] lines =
        [
            "onednn_verbose,v1,info,oneDNN v3.7.1 (commit 8d263e6)",
            "onednn_verbose,v1,info,cpu,isa:Intel AVX2",
            "onednn_verbose,v1,primitive,exec,cpu,convolution,jit:avx2,forward_training,src:f32::blocked:acdb::f0,,alg:convolution_direct,mb4_ic3oc8,0.01",
            "onednn_verbose,v1,primitive,exec,cpu,convolution,jit:avx2,backward_data,src:f32::blocked:acdb::f0,,alg:convolution_direct,mb4_ic3oc8,0.01",
            "onednn_verbose,v1,primitive,exec,cpu,reorder,simple:any,undef,src:f32,,,4x3,0.01",
            """{"numerics":{"model_checks":[{"passed":true,"gradient_error":2.5E-07}]},"time_ms":12.5}""",
        ];
        var r = DoctorCommand.ParseChild(lines, "", 0);
        Assert.Equal("Intel AVX2", r.Isa);
        Assert.Equal(1, r.ForwardConvolutions);
        Assert.Equal(1, r.BackwardConvolutions);
        Assert.Equal(["jit:avx2"], r.Kernels);
        Assert.Equal("passed 2.5e-07", r.ModelCheck);
        Assert.Equal(12.5, r.Milliseconds);

        var failed = DoctorCommand.ParseChild(["garbage"], "error: numerics: no configuration", 2);
        Assert.Contains("exit 2", failed.Error, StringComparison.Ordinal);
    }
}
