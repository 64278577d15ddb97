using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chorus.Cli.Infrastructure;
using Chorus.IO;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using Chorus.Torch.Onnx;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus explain</c>: one attribution method on any ONNX classifier, inputs and outputs as .npy, so results
/// can be compared with Captum's element by element.
/// </summary>
public sealed class ExplainCommand(IAnsiConsole console) : Command<ExplainCommandSettings>
{
    public override int Execute(CommandContext context, ExplainCommandSettings settings, CancellationToken cancellationToken)
    {
        // Float32 against float64 on small probes before the first tensor work (Torch.Numerics).
        NumericsOption.Ensure(settings.Numerics);
        using var scope = NewDisposeScope();
        var input = LoadInput(settings.Input!);
        var n = input.shape[0];
        using var loaded = LoadModel(settings.Model!);
        loaded.Module.eval();
        var target = LoadTarget(settings.Target!, n, loaded.NumClasses);
        var layout = ExplainCommandSettings.ParseLayout(settings.Layout);

        // This model's own input gradient in float32 (in the run's layout) against its float64 copy, on two of the inputs.
        NumericsGuard.CheckModel(loaded, input, target, layout);

        // bf16 and channels-last: the model is converted once here (not per call by the factory), so --delta keeps working;
        // gradients come back NCHW.
        using var passes = Borrow(loaded, ExplainCommandSettings.ParsePrecision(settings.Precision), layout, input, settings.Model!);
        var model = passes.Model;
        var baseline = settings.Baseline is null ? null : LoadBaseline(settings.Baseline, input, "--baseline");
        CheckLayer(settings.Layer, model);

        using var generator = new Generator((ulong)settings.Seed);
        var method = AttributionMethodFactory.Create(settings.MethodKey, BuildSettings(settings, input, baseline), generator);
        var watch = Stopwatch.StartNew();
        Tensor? delta = null;
        IntegratedGradientsConvergence? convergence = null;
        Tensor result;
        try
        {
            // Under bf16 the model is lowered already, so the precision wrapper would pass the call straight through.
            var ig = (method is PrecisionAttribution p ? p.Inner : method) as IntegratedGradients;
            if (ig is not null && settings.Tolerance is not null)
            {
                result = ig.AttributeWithConvergence(model, input, target, out convergence);
                delta = settings.Delta is null ? null : torch.tensor(convergence.Deltas).to_type(input.dtype);
            }
            else
            {
                result = ig is not null && settings.Delta is not null
                    ? ig.Attribute(model, input, target, out delta)
                    : method.Attribute(model, input, target);
            }
        }
        catch (ArgumentException e) when (e.ParamName is "baseline" or "references" or "layer")
        {
            throw new ArgumentException($"--{e.ParamName}: {e.Message}", e);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        var output = settings.Raw
            ? result
            : SaliencyMaps.Reduce(result, ExplainCommandSettings.ParseReduction(settings.Reduction)).squeeze(1);
        Save(output, settings.Out!);
        if (delta is not null)
        {
            Save(delta, settings.Delta!);
        }

        Summarise(settings, output, seconds, delta);
        if (convergence is not null)
        {
            for (var i = 0; i < convergence.Steps.Length; i++)
            {
                console.MarkupLine(CultureInfo.InvariantCulture, $"  image {i}: {convergence.Steps[i]} steps, relative gap {convergence.RelativeGaps[i]:G3}{(convergence.RelativeGaps[i] > settings.Tolerance ? " [yellow](above the tolerance at the cap)[/]" : "")}");
            }
        }
        return 0;
    }

    private static AttributionSettings BuildSettings(ExplainCommandSettings s, Tensor input, Tensor? baseline)
    {
        var upsample = ExplainCommandSettings.ParseUpsample(s.Upsample);
        var tensorBaseline = baseline is null ? null : Baseline.FromTensor(baseline);
        var defaults = new AttributionSettings();
        return new AttributionSettings
        {
            Saliency = new SaliencyOptions(s.Abs ?? true),
            IntegratedGradients = new IntegratedGradientsOptions(
                s.Steps ?? 50, ExplainCommandSettings.ParseRule(s.Rule) ?? IntegrationRule.GaussLegendre, tensorBaseline, s.InternalBatchSize) { Tolerance = s.Tolerance },
            GradientShap = new GradientShapOptions(
                s.References is null ? null : LoadReferences(s.References, input),
                s.Samples ?? defaults.GradientShap.Samples,
                s.MethodKey == GradientShap.CliName ? s.Stdevs ?? defaults.GradientShap.Stdevs : defaults.GradientShap.Stdevs,
                s.InternalBatchSize),
            GradCam = new GradCamOptions(s.Layer, s.Relu, upsample),
            GradCamPlusPlus = new GradCamPlusPlusOptions(s.Layer, true, upsample),
            Occlusion = new OcclusionOptions(
                ExplainCommandSettings.ParseInts(s.Window, "--window") ?? OcclusionOptions.Default.Window,
                ExplainCommandSettings.ParseInts(s.Strides, "--strides") ?? (s.Window is null ? OcclusionOptions.Default.Strides : null),
                tensorBaseline,
                s.InternalBatchSize ?? 1),
            NoiseTunnel = new NoiseTunnelOptions(
                NoiseTunnelType.SmoothGrad,
                s.Samples ?? defaults.NoiseTunnel.Samples,
                s.MethodKey == NoiseTunnel.CliName ? s.Stdevs ?? defaults.NoiseTunnel.Stdevs : defaults.NoiseTunnel.Stdevs),
            SmoothGradInner = s.Of ?? defaults.SmoothGradInner,
        };
    }

    private static IClassifier LoadModel(string path)
    {
        try
        {
            return OnnxModel.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or OnnxImportException)
        {
            throw new ChorusException($"--model: {e.Message}", e);
        }
    }

    private static ModelPasses Borrow(IClassifier model, Precision precision, MemoryLayout layout, Tensor input, string path)
    {
        try
        {
            return new ModelPasses(model, precision, layout, input);
        }
        catch (ArgumentException e)
        {
            throw new ChorusException($"--precision bf16: {path}: {e.Message}", e);
        }
    }

    private static Tensor LoadInput(string path)
    {
        var npy = LoadNpy(path, "--input");
        if (npy.DType != NpyDType.Float32 || npy.Shape.Length != 4)
        {
            throw new ChorusException($"--input: {path} must be float32 [N,C,H,W], got {npy.DType} [{string.Join(",", npy.Shape)}].");
        }

        if (npy.Shape[0] == 0)
        {
            throw new ChorusException($"--input: {path} holds no images.");
        }

        var bad = Array.FindIndex(npy.Floats, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ChorusException($"--input: {path} holds NaN or infinite values (first at flat index {bad}).");
        }

        return torch.tensor(npy.Floats, npy.Shape);
    }

    private static Tensor LoadTarget(string path, long n, int numClasses)
    {
        long[] values;
        long[] shape;
        try
        {
            var npy = NpyArray.Load(path);
            if (npy.DType != NpyDType.Int64)
            {
                throw new ChorusException($"--target: {path} must hold int64 or int32 class indices, got {npy.DType}.");
            }

            (values, shape) = (npy.Longs, npy.Shape);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new ChorusException($"--target: {e.Message}", e);
        }

        if (shape.Length != 1 || shape[0] != n)
        {
            throw new ChorusException($"--target: {path} must have shape [{n}] (one class per input image), got [{string.Join(",", shape)}].");
        }

        var bad = Array.FindIndex(values, v => v < 0 || v >= numClasses);
        if (bad >= 0)
        {
            throw new ChorusException($"--target: class {values[bad]} of image {bad} is out of range; the model has {numClasses} classes (0..{numClasses - 1}).");
        }

        return torch.tensor(values, shape);
    }

    private static Tensor LoadBaseline(string path, Tensor input, string option)
    {
        var npy = LoadNpy(path, option);
        var shape = input.shape;
        var fits = npy.DType == NpyDType.Float32
            && ((npy.Shape.Length == 4 && (npy.Shape[0] == shape[0] || npy.Shape[0] == 1) && npy.Shape.AsSpan(1).SequenceEqual(shape.AsSpan(1)))
                || (npy.Shape.Length == 3 && npy.Shape.AsSpan().SequenceEqual(shape.AsSpan(1))));
        if (!fits)
        {
            throw new ChorusException(
                $"{option}: {path} is {npy.DType} [{string.Join(",", npy.Shape)}], which does not fit the input [{string.Join(",", shape)}]; " +
                "use float32 [N,C,H,W], [1,C,H,W] or [C,H,W].");
        }

        if (npy.Floats.Any(v => !float.IsFinite(v)))
        {
            throw new ChorusException($"{option}: {path} holds NaN or infinite values.");
        }

        return torch.tensor(npy.Floats, npy.Shape);
    }

    private static List<Baseline> LoadReferences(string list, Tensor input) =>
        list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(r => r.Equals("zeros", StringComparison.OrdinalIgnoreCase)
                ? Baseline.Zeros
                : Baseline.FromTensor(LoadBaseline(r, input, "--references")))
            .ToList() is { Count: > 0 } refs ? refs : throw new ChorusException("--references: give at least one .npy file or 'zeros'.");

    private static void CheckLayer(string? layer, IClassifier model)
    {
        if (layer is null || model.LayerNames.Contains(layer))
        {
            return;
        }

        var names = model.LayerNames;
        var few = names.Skip(Math.Max(0, names.Count - 6)).Select(s => $"'{s}'");
        throw new ChorusException($"--layer: '{layer}' is not a tensor of the model; the last of its {names.Count} layers are {string.Join(", ", few)}.");
    }

    private static NpyArray LoadNpy(string path, string option)
    {
        try
        {
            return NpyArray.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException)
        {
            throw new ChorusException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>Reads a C-order little-endian int32 .npy (NumPy's default integer on some platforms) as int64.</summary>
    private static void Save(Tensor tensor, string path)
    {
        var t = tensor.detach().to_type(ScalarType.Float32).cpu().contiguous();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        NpyArray.FromFloats(t.data<float>().ToArray(), t.shape).Save(path);
    }

    private void Summarise(ExplainCommandSettings s, Tensor output, double seconds, Tensor? delta)
    {
        var name = s.MethodKey == NoiseTunnel.CliName ? $"smoothgrad({s.Of ?? Saliency.CliName})" : s.MethodKey;
        var min = output.min().ToSingle();
        var max = output.max().ToSingle();
        var n = output.shape[0];
        console.MarkupLine(CultureInfo.InvariantCulture, $"{Markup.Escape(name)}: [[{string.Join(",", output.shape)}]] {(s.Raw ? "raw" : s.Reduction)} → {Markup.Escape(s.Out!)}");
        console.MarkupLine(CultureInfo.InvariantCulture, $"  min {min:G4}  max {max:G4}  time {seconds:F2} s ({seconds / n:F3} s/image)");
        if (delta is not null)
        {
            var abs = delta.abs();
            console.MarkupLine(CultureInfo.InvariantCulture, $"  convergence delta: mean |δ| {abs.mean().ToSingle():G3}, max |δ| {abs.max().ToSingle():G3} → {Markup.Escape(s.Delta!)}");
        }
    }
}
