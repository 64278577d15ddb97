using Chorus.Torch.Models;
using System.ComponentModel;
using System.Globalization;
using Chorus.Torch.Attribution;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>Options of <c>chorus explain</c>; names and defaults follow Captum's <c>attribute</c> arguments.</summary>
public sealed class ExplainCommandSettings : CommandSettings
{
    [CommandOption("--model <ONNX>")]
    [Description("The classifier as an ONNX file (input NCHW float32, output logits [[N,K]]).")]
    public string? Model { get; init; }

    [CommandOption("--input <NPY>")]
    [Description("Images [[N,C,H,W]] float32 .npy, already preprocessed.")]
    public string? Input { get; init; }

    [CommandOption("--target <NPY>")]
    [Description("Target class per image, [[N]] int64 (or int32) .npy.")]
    public string? Target { get; init; }

    [CommandOption("-m|--method <NAME>")]
    [Description("saliency, input-x-gradient, integrated-gradients, gradient-shap, grad-cam, grad-cam-plus-plus, occlusion or smoothgrad.")]
    public string Method { get; init; } = Saliency.CliName;

    [CommandOption("--of <NAME>")]
    [Description("The method smoothgrad wraps. Default: saliency.")]
    public string? Of { get; init; }

    [CommandOption("-o|--out <NPY>")]
    [Description("Output .npy (float32), written atomically.")]
    public string? Out { get; init; }

    [CommandOption("--raw")]
    [Description("Write the method's unreduced output ([[N,C,H,W]], or [[N,1,h,w]] for layer maps) instead of [[N,H,W]] maps.")]
    public bool Raw { get; init; }

    [CommandOption("--reduction <NAME>")]
    [Description("Channel reduction without --raw: sum, sum-abs, max-abs or l2. Default: sum-abs.")]
    public string Reduction { get; init; } = "sum-abs";

    [CommandOption("--steps <N>")]
    [Description("Integrated gradients: integration steps (Captum n_steps). Default 50.")]
    public int? Steps { get; init; }

    [CommandOption("--tolerance <X>")]
    [Description("Integrated gradients, adaptive: per image, steps climb 8, 16, 32, ... up to --steps until |sum(attr) - (f(x) - f(baseline))| <= X * |f(x) - f(baseline)|; prints each image's steps and gap. Default: off.")]
    public double? Tolerance { get; init; }

    [CommandOption("--rule <NAME>")]
    [Description("Integrated gradients: gauss-legendre, riemann-left, riemann-right, riemann-middle or riemann-trapezoid. Default gauss-legendre.")]
    public string? Rule { get; init; }

    [CommandOption("--baseline <NPY>")]
    [Description("Integrated gradients and occlusion: baseline [[N|1,C,H,W]] or [[C,H,W]] float32. Default: zeros.")]
    public string? Baseline { get; init; }

    [CommandOption("--layer <TENSOR>")]
    [Description("Grad-CAM(++): ONNX tensor name of the layer. Default: the model's last convolutional block.")]
    public string? Layer { get; init; }

    [CommandOption("--abs <BOOL>")]
    [Description("Saliency: absolute gradient (Captum abs). Default true.")]
    public bool? Abs { get; init; }

    [CommandOption("--relu")]
    [Description("Grad-CAM: ReLU on the map (Captum relu_attributions). Grad-CAM++ always applies it.")]
    public bool Relu { get; init; }

    [CommandOption("--upsample <MODE>")]
    [Description("Grad-CAM(++): none, nearest or bilinear (to the input size, as LayerAttribution.interpolate). Default none.")]
    public string Upsample { get; init; } = "none";

    [CommandOption("--samples <N>")]
    [Description("gradient-shap and smoothgrad: samples (Captum n_samples / nt_samples). Default 5.")]
    public int? Samples { get; init; }

    [CommandOption("--stdevs <SIGMA>")]
    [Description("gradient-shap and smoothgrad: noise standard deviation. Default 0 (gradient-shap), 1 (smoothgrad).")]
    public double? Stdevs { get; init; }

    [CommandOption("--references <LIST>")]
    [Description("gradient-shap: comma-separated references, each a .npy file or 'zeros'. Default: zeros and a 9-px box blur of the input.")]
    public string? References { get; init; }

    [CommandOption("--window <C,H,W>")]
    [Description("Occlusion: sliding window (C,H,W) or (H,W). Default 8,8.")]
    public string? Window { get; init; }

    [CommandOption("--strides <C,H,W>")]
    [Description("Occlusion: strides, one per window dimension. Default 4,4.")]
    public string? Strides { get; init; }

    [CommandOption("--internal-batch-size <N>")]
    [Description("Images per forward/backward pass (IG, gradient-shap; occlusion: windows per pass). The result does not depend on it.")]
    public int? InternalBatchSize { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of gradient-shap and smoothgrad noise. Default 0.")]
    public long Seed { get; init; }

    [CommandOption("--delta <NPY>")]
    [Description("Integrated gradients: also write the convergence delta [[N]] (Σ attributions − (f(x) − f(baseline))).")]
    public string? Delta { get; init; }

    [CommandOption("--precision <NAME>")]
    [Description("Arithmetic of the model passes: fp32 (default) or bf16 (weights and activations in bfloat16, maps written as float32; opt-in, only faster on CPUs with native bf16).")]
    public string Precision { get; init; } = "fp32";

    [CommandOption("--layout <NAME>")]
    [Description("Memory order of the model passes: channels-last (default; measured 10-30% faster on this CPU) or nchw (as Captum). Results agree to float rounding; the Captum golden files match in both.")]
    public string Layout { get; init; } = "channels-last";

    [CommandOption("--numerics <NAME>")]
    [Description(Infrastructure.NumericsOption.Help)]
    public string? Numerics { get; init; }

    /// <summary>The method name after trimming and lower-casing.</summary>
    internal string MethodKey => Method.Trim().ToLowerInvariant();

    public override ValidationResult Validate()
    {
        if (Infrastructure.NumericsOption.Validate(Numerics) is { } numericsError)
        {
            return ValidationResult.Error(numericsError);
        }

        foreach (var (name, value) in new[] { ("--model", Model), ("--input", Input), ("--target", Target), ("--out", Out) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return ValidationResult.Error($"{name} is required.");
            }
        }

        if (!AttributionMethodFactory.Names.Contains(MethodKey))
        {
            return ValidationResult.Error($"--method: unknown method '{Method}'. Known: {string.Join(", ", AttributionMethodFactory.Names)}.");
        }

        if (Of is not null && MethodKey != NoiseTunnel.CliName)
        {
            return ValidationResult.Error("--of only applies to --method smoothgrad.");
        }

        if (Tolerance is not null && MethodKey != IntegratedGradients.CliName)
        {
            return ValidationResult.Error("--tolerance only applies to --method integrated-gradients.");
        }

        if (Tolerance is { } tolerance && !(tolerance > 0 && double.IsFinite(tolerance)))
        {
            return ValidationResult.Error($"--tolerance must be a positive number (e.g. 0.05); got {tolerance}.");
        }

        if (Delta is not null && MethodKey != IntegratedGradients.CliName)
        {
            return ValidationResult.Error("--delta only applies to --method integrated-gradients.");
        }

        try
        {
            _ = ParseReduction(Reduction);
            _ = ParseUpsample(Upsample);
            _ = ParseRule(Rule);
            _ = ParseInts(Window, "--window");
            _ = ParseInts(Strides, "--strides");
            _ = ParsePrecision(Precision);
            _ = ParseLayout(Layout);
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(e.Message);
        }

        return (Steps, Samples, InternalBatchSize, Stdevs) switch
        {
            ( < 1, _, _, _) => ValidationResult.Error("--steps must be at least 1."),
            (_, < 1, _, _) => ValidationResult.Error("--samples must be at least 1."),
            (_, _, < 1, _) => ValidationResult.Error("--internal-batch-size must be at least 1."),
            (_, _, _, { } s) when !double.IsFinite(s) || s < 0 => ValidationResult.Error("--stdevs must be finite and non-negative."),
            _ => ValidationResult.Success(),
        };
    }

    internal static MapReduction ParseReduction(string text) => Normalise(text) switch
    {
        "sum" => MapReduction.Sum,
        "sumabs" => MapReduction.SumAbs,
        "maxabs" => MapReduction.MaxAbs,
        "l2" => MapReduction.L2,
        _ => throw new ArgumentException($"--reduction: unknown reduction '{text}'. Known: sum, sum-abs, max-abs, l2."),
    };

    internal static MemoryLayout ParseLayout(string text)
    {
        try
        {
            return MemoryLayoutNames.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--layout: {e.Message}", e);
        }
    }

    internal static Precision ParsePrecision(string text)
    {
        try
        {
            return PrecisionNames.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--precision: {e.Message}", e);
        }
    }

    internal static CamUpsample ParseUpsample(string text) => Normalise(text) switch
    {
        "none" => CamUpsample.None,
        "nearest" => CamUpsample.Nearest,
        "bilinear" => CamUpsample.Bilinear,
        _ => throw new ArgumentException($"--upsample: unknown mode '{text}'. Known: none, nearest, bilinear."),
    };

    internal static IntegrationRule? ParseRule(string? text) => text is null
        ? null
        : Enum.GetValues<IntegrationRule>().Cast<IntegrationRule?>().FirstOrDefault(r => Normalise(r!.ToString()!) == Normalise(text))
            ?? throw new ArgumentException($"--rule: unknown rule '{text}'. Known: gauss-legendre, riemann-left, riemann-right, riemann-middle, riemann-trapezoid.");

    internal static int[]? ParseInts(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
            {
                throw new ArgumentException($"{option}: '{text}' is not a comma-separated list of positive integers.");
            }
        }

        return values;
    }

    private static string Normalise(string s) => s.Trim().ToLowerInvariant().Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
}
