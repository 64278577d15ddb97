using System.Buffers.Binary;
using System.Text;
using Chorus.IO;

namespace Chorus.Cli.Tests;

/// <summary>User errors of <c>chorus explain</c>: exit code 2, one line naming the argument, no stack trace, no output file.</summary>
[Collection("Cli")]
public class ExplainErrorTests
{
    private static string Golden(string file) => TestPaths.Golden("tinycnn", file);

    [Fact]
    public async Task WrongLayerName_NamesLayerAndListsValidOnes()
    {
        var (dir, output) = await RunFailing(["--method", "grad-cam", "--layer", "/no/such/tensor"], "--layer");
        Assert.Contains("/no/such/tensor", output);
        Assert.Contains("/relu2/Relu_output_0", output);
        Assert.False(File.Exists(Path.Combine(dir, "out.npy")));
    }

    [Fact]
    public async Task TargetOutOfRange_NamesTargetAndClassCount()
    {
        var target = Write("target.npy", NpyArray.FromLongs([0, 1, 7, 2], 4));
        var (_, output) = await RunFailing(["--target", target], "--target");
        Assert.Contains("7", output);
        Assert.Contains("5 classes", output);
    }

    [Fact]
    public async Task UnknownPrecision_NamesPrecisionAndTheKnownOnes()
    {
        var (_, output) = await RunFailing(["--precision", "fp16"], "--precision");
        Assert.Contains("fp16", output);
        Assert.Contains("bf16", output);
    }

    [Fact]
    public async Task UnknownLayout_NamesLayoutAndTheKnownOnes()
    {
        var (_, output) = await RunFailing(["--layout", "nhcw"], "--layout");
        Assert.Contains("nhcw", output);
        Assert.Contains("channels-last", output);
    }

    [Fact]
    public async Task TargetWrongLength_NamesTarget()
    {
        var target = Write("target.npy", NpyArray.FromLongs([0, 1], 2));
        await RunFailing(["--target", target], "--target");
    }

    [Fact]
    public async Task BaselineShapeMismatch_NamesBaseline()
    {
        var baseline = Write("baseline.npy", NpyArray.FromFloats(new float[3 * 16 * 16], 1, 3, 16, 16));
        var (_, output) = await RunFailing(["--method", "integrated-gradients", "--baseline", baseline], "--baseline");
        Assert.Contains("[1,3,16,16]", output);
    }

    [Fact]
    public async Task NaNInInput_NamesInput()
    {
        var x = NpyArray.Load(Golden("input.npy"));
        var values = (float[])x.Floats.Clone();
        values[17] = float.NaN;
        var input = Write("input.npy", NpyArray.FromFloats(values, x.Shape));
        var (_, output) = await RunFailing(["--input", input], "--input");
        Assert.Contains("NaN", output);
    }

    [Fact]
    public async Task MissingInputFile_NamesInput()
    {
        var (_, output) = await RunFailing(["--input", "/nonexistent/input.npy"], "--input");
        Assert.Contains("input.npy", output);
    }

    [Fact]
    public async Task CorruptNpy_NamesArgument()
    {
        var bytes = File.ReadAllBytes(Golden("input.npy"));
        var path = Path.Combine(TestPaths.TempDir(), "truncated.npy");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var (_, output) = await RunFailing(["--input", path], "--input");
        Assert.Contains("truncated.npy", output);
    }

    [Fact]
    public async Task MissingModelFile_NamesModel()
    {
        await RunFailing(["--model", "/nonexistent/model.onnx"], "--model");
    }

    [Fact]
    public async Task CorruptModelFile_NamesModel()
    {
        var bytes = File.ReadAllBytes(Golden("model.onnx"));
        var path = Path.Combine(TestPaths.TempDir(), "broken.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var (_, output) = await RunFailing(["--model", path], "--model");
        Assert.Contains("broken.onnx", output);
    }

    [Fact]
    public async Task UnknownMethod_NamesMethod()
    {
        var (_, output) = await RunFailing(["--method", "lime"], "--method");
        Assert.Contains("lime", output);
    }

    [Fact]
    public async Task DeltaForOtherMethod_NamesDelta()
    {
        await RunFailing(["--method", "saliency", "--delta", Path.Combine(TestPaths.TempDir(), "d.npy")], "--delta");
    }

    [Fact]
    public async Task Int32Target_IsAccepted()
    {
        // Given the golden targets saved as int32 (NumPy's default integer on Windows)
        var longs = NpyArray.Load(Golden("target.npy")).Longs;
        var path = Path.Combine(TestPaths.TempDir(), "target32.npy");
        File.WriteAllBytes(path, Int32Npy(longs.Select(v => (int)v).ToArray()));
        var outPath = Path.Combine(TestPaths.TempDir(), "out.npy");
        var out64 = Path.Combine(TestPaths.TempDir(), "out64.npy");

        // When
        var (code, output) = await CliRunner.RunAsync(Args(outPath, ["--target", path, "--raw"]));
        var (code64, output64) = await CliRunner.RunAsync(Args(out64, ["--raw"]));

        // Then the result is the int64 one
        Assert.True(code == 0, output);
        Assert.True(code64 == 0, output64);
        Assert.Equal(NpyArray.Load(out64).Floats, NpyArray.Load(outPath).Floats);
    }

    private static async Task<(string Dir, string Output)> RunFailing(string[] extra, string argument)
    {
        var dir = TestPaths.TempDir();
        var (code, output) = await CliRunner.RunAsync(Args(Path.Combine(dir, "out.npy"), extra));
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.StartsWith("error:", output.TrimStart());
        Assert.Contains(argument, output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Exception", output);
        Assert.False(File.Exists(Path.Combine(dir, "out.npy")));
        return (dir, output);
    }

    /// <summary>The golden case's arguments for saliency, with <paramref name="overrides"/> replacing options of the same name.</summary>
    private static string[] Args(string outPath, string[] overrides)
    {
        var options = new Dictionary<string, string?>
        {
            ["--model"] = Golden("model.onnx"),
            ["--input"] = Golden("input.npy"),
            ["--target"] = Golden("target.npy"),
            ["--out"] = outPath,
        };
        var flags = new List<string>();
        for (var i = 0; i < overrides.Length; i++)
        {
            if (i + 1 < overrides.Length && !overrides[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                options[overrides[i]] = overrides[++i];
            }
            else
            {
                flags.Add(overrides[i]);
            }
        }

        return ["explain", .. options.SelectMany(kv => new[] { kv.Key, kv.Value! }), .. flags];
    }

    private static string Write(string name, NpyArray array)
    {
        var path = Path.Combine(TestPaths.TempDir(), name);
        array.Save(path);
        return path;
    }

    private static byte[] Int32Npy(int[] values)
    {
        var header = $"{{'descr': '<i4', 'fortran_order': False, 'shape': ({values.Length},), }}";
        header = header.PadRight(((header.Length + 10 + 64) / 64 * 64) - 10 - 1) + "\n";
        using var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        var len = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        ms.Write(len);
        ms.Write(Encoding.Latin1.GetBytes(header));
        foreach (var v in values)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, v);
            ms.Write(b);
        }

        return ms.ToArray();
    }
}
