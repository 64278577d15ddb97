using System.Text.Json;
using Chorus.IO;
using Xunit.Abstractions;

namespace Chorus.Cli.Tests;

/// <summary>
/// <c>chorus explain --raw</c> against Captum 0.8's golden vectors of tests/data/golden/tinycnn: every file of the
/// manifest is reproduced through the CLI, with the parameters the manifest records, within its tolerance.
/// </summary>
[Collection("Cli")]
public class ExplainGoldenTests(ITestOutputHelper output)
{
    private const string Case = "tinycnn";

    /// <summary>The files the CLI cannot reproduce one-to-one: the model's logits and the GradientShap expectation (tested by convergence).</summary>
    private static readonly string[] NotAttributions = ["logits.npy", "gradient_shap_expectation.npy"];

    private static readonly Lazy<JsonElement> Manifest = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Golden(Case, "manifest.json"))).RootElement.Clone());

    public static TheoryData<string> GoldenFiles =>
        new(Manifest.Value.GetProperty("files").EnumerateObject().Select(p => p.Name).Except(NotAttributions));

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public Task Explain_Raw_MatchesCaptumGoldenFile(string file) => AssertReproduces(file);

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public Task Explain_RawNchw_MatchesCaptumGoldenFile(string file) => AssertReproduces(file, "--layout", "nchw");

    private async Task AssertReproduces(string file, params string[] extra)
    {
        // Given the manifest's parameters for this file
        var outPath = Path.Combine(TestPaths.TempDir(), file);
        var args = CommonArgs(outPath).Concat(MethodArgs(file)).Append("--raw").Concat(extra).ToArray();

        // When
        var (code, text) = await CliRunner.RunAsync(args);

        // Then
        Assert.True(code == 0, text);
        var spec = Manifest.Value.GetProperty("files").GetProperty(file);
        var expected = NpyArray.Load(TestPaths.Golden(Case, file));
        var actual = NpyArray.Load(outPath);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(spec.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), actual.Shape);
        var (atol, rtol) = (spec.GetProperty("atol").GetDouble(), spec.GetProperty("rtol").GetDouble());
        var worst = WorstExcess(expected.Floats, actual.Floats, atol, rtol, out var maxAbs);
        output.WriteLine($"{file}: max |ours - Captum| = {maxAbs:E2} (atol {atol:E2}, rtol {rtol:E0})");
        Assert.True(worst <= 0, $"{file}: element exceeds atol + rtol*|ref| by {worst:E3} (max abs diff {maxAbs:E3})");
    }

    [Fact]
    public async Task Explain_PrecisionBf16_MapsCorrelateWithFp32_AndDeltaIsWritten()
    {
        // Given
        var dir = TestPaths.TempDir();
        string[] ig = ["--method", "integrated-gradients", "--steps", "16"];

        // When
        var (code32, text32) = await CliRunner.RunAsync([.. CommonArgs(Path.Combine(dir, "fp32.npy")), .. ig]);
        var (code16, text16) = await CliRunner.RunAsync([.. CommonArgs(Path.Combine(dir, "bf16.npy")), .. ig, "--precision", "bf16", "--delta", Path.Combine(dir, "delta.npy")]);

        // Then: [N,H,W] float32 maps, per-image Pearson r > 0.9, not bit-identical
        Assert.True(code32 == 0, text32);
        Assert.True(code16 == 0, text16);
        var a = NpyArray.Load(Path.Combine(dir, "fp32.npy"));
        var b = NpyArray.Load(Path.Combine(dir, "bf16.npy"));
        Assert.Equal(a.Shape, b.Shape);
        Assert.NotEqual(a.Floats, b.Floats);
        var per = (int)(a.Shape[1] * a.Shape[2]);
        for (var i = 0; i < a.Shape[0]; i++)
        {
            var r = TestStats.Pearson(a.Floats.AsSpan(i * per, per), b.Floats.AsSpan(i * per, per));
            output.WriteLine($"image {i}: r = {r:F4}");
            Assert.True(r > 0.9, $"image {i}: Pearson r bf16 vs fp32 = {r:F4}");
        }

        Assert.Equal(new[] { a.Shape[0] }, NpyArray.Load(Path.Combine(dir, "delta.npy")).Shape);
    }

    [Fact]
    public async Task Explain_IntegratedGradientsDelta_MatchesCaptumConvergenceDelta()
    {
        var dir = TestPaths.TempDir();
        var deltaPath = Path.Combine(dir, "delta.npy");
        var (code, text) = await CliRunner.RunAsync(
            [.. CommonArgs(Path.Combine(dir, "ig.npy")), "--method", "integrated-gradients", "--steps", "50", "--rule", "gauss-legendre", "--raw", "--delta", deltaPath]);

        Assert.True(code == 0, text);
        Assert.Contains("convergence delta", text);
        var expected = Manifest.Value.GetProperty("files").GetProperty("ig_gausslegendre_50.npy").GetProperty("convergence_delta")
            .EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = NpyArray.Load(deltaPath);
        Assert.Equal([expected.Length], actual.Shape);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual.Floats[i] - expected[i]) < 5e-4, $"delta {i}: {actual.Floats[i]} vs Captum {expected[i]}");
        }
    }

    [Fact]
    public async Task Explain_GradientShapManySamples_ApproachesExpectation()
    {
        // Measured (seed 2024, references {0, baseline.npy}, stdevs 0): relative L2 error 0.111 at 16 samples and
        // 0.036 at 256 (the error shrinks like 1/√n). The bound 0.08 leaves a 2x margin for BLAS differences.
        var expectation = NpyArray.Load(TestPaths.Golden(Case, "gradient_shap_expectation.npy")).Floats;
        var e16 = await ShapError(16, expectation);
        var e256 = await ShapError(256, expectation);
        output.WriteLine($"gradient-shap relative L2 error: 16 samples {e16:F4}, 256 samples {e256:F4}");
        Assert.True(e256 < 0.08, $"256 samples: relative L2 {e256}");
        Assert.True(e256 < e16 / 2, $"error 16 → 256 samples: {e16} → {e256}");
    }

    [Fact]
    public async Task Explain_Reduced_WritesOneMapPerImage()
    {
        var outPath = Path.Combine(TestPaths.TempDir(), "maps.npy");
        var (code, text) = await CliRunner.RunAsync([.. CommonArgs(outPath), "--method", "saliency", "--reduction", "max-abs"]);

        Assert.True(code == 0, text);
        var raw = NpyArray.Load(TestPaths.Golden(Case, "saliency_abs.npy"));
        var maps = NpyArray.Load(outPath);
        Assert.Equal([4L, 32, 32], maps.Shape);
        var (pixels, channels) = (32 * 32, 3);
        for (var i = 0; i < maps.Floats.Length; i++)
        {
            var (image, pixel) = (i / pixels, i % pixels);
            var expected = Enumerable.Range(0, channels).Max(c => raw.Floats[(((image * channels) + c) * pixels) + pixel]);
            Assert.True(Math.Abs(maps.Floats[i] - expected) <= 1e-7 + (1e-4 * expected), $"pixel {i}");
        }
    }

    internal static string[] CommonArgs(string outPath) =>
        ["explain", "--model", TestPaths.Golden(Case, "model.onnx"), "--input", TestPaths.Golden(Case, "input.npy"),
         "--target", TestPaths.Golden(Case, "target.npy"), "--out", outPath];

    private static string[] MethodArgs(string file)
    {
        var layer = Manifest.Value.GetProperty("gradcam_layer_onnx_tensor").GetString()!;
        return file switch
        {
            "saliency_abs.npy" => ["--method", "saliency", "--abs", "true"],
            "saliency_signed.npy" => ["--method", "saliency", "--abs", "false"],
            "input_x_gradient.npy" => ["--method", "input-x-gradient"],
            "ig_gausslegendre_50.npy" => ["--method", "integrated-gradients", "--steps", "50", "--rule", "gauss-legendre"],
            "ig_riemann_trapezoid_20.npy" => ["--method", "integrated-gradients", "--steps", "20", "--rule", "riemann-trapezoid"],
            "ig_gausslegendre_50_baseline.npy" =>
                ["--method", "integrated-gradients", "--steps", "50", "--rule", "gauss-legendre", "--baseline", TestPaths.Golden(Case, "baseline.npy")],
            "gradcam_layer.npy" => ["--method", "grad-cam", "--layer", layer],
            "gradcam_relu_bilinear.npy" => ["--method", "grad-cam", "--layer", layer, "--relu", "--upsample", "bilinear"],
            "gradcam_relu_nearest.npy" => ["--method", "grad-cam", "--layer", layer, "--relu", "--upsample", "nearest"],
            "gradcampp_layer_relu.npy" => ["--method", "grad-cam-plus-plus", "--layer", layer],
            "occlusion.npy" => ["--method", "occlusion", "--window", "3,4,4", "--strides", "3,2,2", "--internal-batch-size", "25"],
            _ => throw new InvalidOperationException($"No CLI arguments known for golden file '{file}': add them to {nameof(MethodArgs)}."),
        };
    }

    private static double WorstExcess(float[] expected, float[] actual, double atol, double rtol, out double maxAbs)
    {
        var worst = double.NegativeInfinity;
        maxAbs = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs((double)actual[i] - expected[i]);
            maxAbs = Math.Max(maxAbs, diff);
            worst = Math.Max(worst, diff - (atol + (rtol * Math.Abs(expected[i]))));
        }

        return worst;
    }

    private static async Task<double> ShapError(int samples, float[] expectation)
    {
        var outPath = Path.Combine(TestPaths.TempDir(), $"gs{samples}.npy");
        var (code, text) = await CliRunner.RunAsync(
            [.. CommonArgs(outPath), "--method", "gradient-shap", "--references", $"zeros,{TestPaths.Golden(Case, "baseline.npy")}",
             "--samples", $"{samples}", "--stdevs", "0", "--seed", "2024", "--internal-batch-size", "256", "--raw"]);
        Assert.True(code == 0, text);
        var actual = NpyArray.Load(outPath).Floats;
        double num = 0, den = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            num += Math.Pow(actual[i] - expectation[i], 2);
            den += Math.Pow(expectation[i], 2);
        }

        return Math.Sqrt(num / den);
    }
}
