using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.IO;
using Chorus.Statistics;
using Chorus.Torch.Attribution;
using Chorus.Torch.Faithfulness;
using Chorus.Torch.Models;
using Chorus.Torch.Training;
using TorchSharp;

namespace Chorus.Study;

/// <summary>Progress of <see cref="FaithfulnessRunner.Run"/>: member × method pairs done out of the total.</summary>
public sealed record FaithfulnessProgress(int Done, int Total, int Member, string Method, bool Resumed);

/// <summary>Per-image Ens-Avg and Exp-Avg faithfulness of one method, and the mean curves.</summary>
/// <param name="Method">Attribution method.</param>
/// <param name="Deletion">Per-image deletion AUC (lower is better).</param>
/// <param name="Insertion">Per-image insertion AUC (higher is better).</param>
/// <param name="Curves">Mean curves (over images and members) for Ens-Avg and Exp-Avg.</param>
public sealed record MethodFaithfulness(string Method, MetricEvaluation Deletion, MetricEvaluation Insertion, IReadOnlyList<FaithfulnessCurveRow> Curves);

/// <summary>
/// Deletion and insertion AUCs (<see cref="DeletionInsertion"/>) of a finished run, Ens-Avg vs Exp-Avg, with the members
/// rebuilt from the run's checkpoints (<c>run/members/member-XX.safetensors</c>) and the run's backbone spec:
/// <list type="bullet">
/// <item><b>Exp-Avg</b>: each member's own map scored on that member's model, averaged over members (the expected single model).</item>
/// <item><b>Ens-Avg</b>: the ensemble's averaged map scored on each member's model, averaged over members (so both use the same models).</item>
/// </list>
/// Targets are the images' labels (the classes the maps explain). Each member's results are cached atomically in
/// <c>run/faithfulness/member-XX.json</c> (with the options), so an interrupted run resumes; the result files are
/// faithfulness.csv (results.csv columns, part <see cref="Part"/>), faithfulness_per_image.csv, faithfulness_curves.csv
/// and entries in summary.json. No randomness: the same run and options give the same numbers.
/// </summary>
public static class FaithfulnessRunner
{
    /// <summary>The part column of faithfulness rows: the whole image (no expert region is involved).</summary>
    public const string Part = "image";

    /// <summary>Metric name of the deletion AUC (lower is better).</summary>
    public const string DeletionMetric = "deletion_auc";

    /// <summary>Metric name of the insertion AUC (higher is better).</summary>
    public const string InsertionMetric = "insertion_auc";

    /// <summary>
    /// Default steps per curve: 8 steps of 512 pixels at 64 px. Measured on the default demo run (SmallCnn, 64 px, on a
    /// heavily shared 2-core machine): ~20 CPU-seconds per member × method for 100 images at 16 steps (~18 CPU-minutes for
    /// the run); with 8 steps on <see cref="DefaultImages"/> images the whole run took ~450 CPU-seconds (the wall time under
    /// load was 34 min). With channels-last passes and the native allocator keeping freed memory, 61 s wall on 2 quiet cores.
    /// </summary>
    public const int DefaultSteps = 8;

    /// <summary>Default number of explained images scored (the first ones, in map order); 0 = all.</summary>
    public const int DefaultImages = 50;

    /// <summary>The default options: <see cref="DefaultSteps"/> steps, blurred image (box 9) as both deletion and insertion baseline, softmax probability.</summary>
    public static FaithfulnessOptions DefaultOptions { get; } = Options(DefaultSteps, "blur");

    /// <summary>Options from the CLI: <paramref name="steps"/> and a baseline name (<c>blur</c>, <c>mean</c>, <c>zeros</c>) used for both curves.</summary>
    /// <exception cref="ChorusException">Unknown baseline name or steps below 1.</exception>
    public static FaithfulnessOptions Options(int steps, string baseline)
    {
        if (steps < 1)
        {
            throw new ChorusException($"--faithfulness-steps must be at least 1 (got {steps}).");
        }

        var b = baseline switch
        {
            "blur" => FaithfulnessBaseline.Blur(),
            "mean" => FaithfulnessBaseline.Mean,
            "zeros" => FaithfulnessBaseline.Zeros,
            _ => throw new ChorusException($"--faithfulness-baseline: unknown baseline '{baseline}'. Known: blur, mean, zeros."),
        };
        return new FaithfulnessOptions(Steps: steps, DeletionBaseline: b, InsertionBaseline: b, BatchSize: 256);
    }

    /// <summary>Computes faithfulness for every method of <paramref name="run"/> and writes the result files; returns the comparisons.</summary>
    /// <exception cref="ChorusException">A member checkpoint is missing, or the manifest's backbone cannot be rebuilt.</exception>
    /// <param name="run">The run.</param>
    /// <param name="options">Curve options.</param>
    /// <param name="images">Score the first <paramref name="images"/> explained images (0 or more than there are: all).</param>
    /// <param name="progress">Receives member × method pairs done.</param>
    /// <param name="cancellationToken">Stops between member × method pairs; finished members stay cached.</param>
    public static IReadOnlyList<MetricComparison> Run(RunData run, FaithfulnessOptions options, int images = DefaultImages, IProgress<FaithfulnessProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        var results = Compute(run, options, images, progress, cancellationToken);
        var bootstrap = new BootstrapOptions(Seed: unchecked((int)run.Seed));
        var comparisons = new List<MetricComparison>();
        var perImage = new List<PerImageRow>();
        var ids = run.ImageIds.Take(results[0].Deletion.Ens.Count).ToList();
        foreach (var r in results)
        {
            foreach (var metric in new[] { r.Deletion, r.Insertion })
            {
                comparisons.Add(ResultTables.Compare(Part, r.Method, metric, 0, bootstrap));
                for (var i = 0; i < ids.Count; i++)
                {
                    perImage.Add(new PerImageRow(ids[i], Part, r.Method, metric.Metric, metric.Ens[i], metric.Exp[i]));
                }
            }
        }

        ResultsCsv.Write(run.Layout.Faithfulness, comparisons.SelectMany(ResultTables.ToResultRows));
        PerImageCsv.Write(run.Layout.FaithfulnessPerImage, perImage);
        FaithfulnessCurvesCsv.Write(run.Layout.FaithfulnessCurves, results.SelectMany(r => r.Curves));
        MergeIntoSummary(run, bootstrap, comparisons);
        return comparisons;
    }

    /// <summary>Per method: Ens-Avg and Exp-Avg deletion and insertion AUC per image (averaged over members) and mean curves. Writes only the per-member cache.</summary>
    public static IReadOnlyList<MethodFaithfulness> Compute(RunData run, FaithfulnessOptions options, int images = DefaultImages, IProgress<FaithfulnessProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var runDir = run.Layout.Run;
        for (var m = 0; m < run.Members; m++)
        {
            var checkpoint = EnsembleTrainer.CheckpointPath(runDir, m);
            if (!File.Exists(checkpoint))
            {
                throw new ChorusException($"{run.Folder}: --faithfulness needs the members' checkpoints, and {Path.GetRelativePath(run.Folder, checkpoint)} is missing.");
            }
        }

        var factory = Factory(run);
        var n = images <= 0 ? run.Chosen.Length : Math.Min(images, run.Chosen.Length);
        var size = run.Test.Size;
        var plane = 3 * size * size;
        var pixels = new float[2L * n * plane];
        var labels = new long[2 * n];
        for (var i = 0; i < n; i++)
        {
            // The images twice: the first half is scored with the ensemble's maps, the second with the member's own.
            Array.Copy(run.Test.Pixels, (long)run.Chosen[i] * plane, pixels, (long)i * plane, plane);
            Array.Copy(run.Test.Pixels, (long)run.Chosen[i] * plane, pixels, (long)(n + i) * plane, plane);
            labels[i] = labels[n + i] = run.Test.Labels[run.Chosen[i]];
        }

        var ensMaps = run.Methods.ToDictionary(
            method => method,
            method => Enumerable.Range(0, n).Select(i => run.Aggregator.Aggregate([.. run.Maps[method].Select(member => member[i])])).ToArray());
        var fingerprint = Fingerprint(options, run, n);

        // The forward passes run in the memory order the maps were computed in (the manifest's --layout; NCHW for runs
        // from before the option). Logits agree to float rounding either way.
        var layout = run.Manifest["options"]?["attribution"]?["layout"]?.GetValue<string>() is { } name ? MemoryLayoutNames.Parse(name) : MemoryLayout.Contiguous;
        var perMember = new MemberCache[run.Members];
        var total = run.Members * run.Methods.Count;
        using (torch.NewDisposeScope())
        {
            var input = torch.tensor(pixels, [2L * n, 3, size, size]);
            var target = torch.tensor(labels);
            for (var m = 0; m < run.Members; m++)
            {
                var cachePath = run.Layout.FaithfulnessOfMember(m);
                if (TryReadCache(cachePath, fingerprint) is { } cached)
                {
                    perMember[m] = cached;
                    progress?.Report(new FaithfulnessProgress((m + 1) * run.Methods.Count, total, m, run.Methods[^1], Resumed: true));
                    continue;
                }

                var methods = new Dictionary<string, MethodCache>(StringComparer.Ordinal);
                using (var loaded = EnsembleTrainer.LoadMember(factory, runDir, m))
                using (var passes = new ModelPasses(loaded, Precision.Float32, layout, input))
                {
                    var model = passes.Model;
                    for (var k = 0; k < run.Methods.Count; k++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var method = run.Methods[k];
                        IReadOnlyList<SaliencyMap> maps = [.. ensMaps[method], .. run.Maps[method][m].Take(n)];
                        var curves = DeletionInsertion.Compute(model, input, target, maps, options);
                        methods[method] = MethodCache.From(curves, n);
                        progress?.Report(new FaithfulnessProgress((m * run.Methods.Count) + k + 1, total, m, method, Resumed: false));
                    }
                }

                perMember[m] = new MemberCache(fingerprint, methods);
                Directory.CreateDirectory(Path.GetDirectoryName(cachePath)!);
                AtomicFile.WriteAllText(cachePath, JsonSerializer.Serialize(perMember[m]));
            }
        }

        var fractions = Fractions(options, size);
        return [.. run.Methods.Select(method => Combine(method, perMember.Select(c => c.Methods[method]).ToList(), fractions))];
    }

    /// <summary>
    /// The classifier factory the run was trained with: the manifest's backbone spec (<see cref="Spec"/>, with its dropout),
    /// class count and SmallCnn widths.
    /// </summary>
    /// <exception cref="ChorusException">The manifest's backbone cannot be read.</exception>
    public static Func<IClassifier> Factory(RunData run)
    {
        var spec = Spec(run);
        var study = run.Manifest["options"]?["study"];
        var widths = study?["Widths"] is JsonArray a ? a.Select(x => x!.GetValue<int>()).ToArray() : null;
        var classes = run.ClassNames.Count;
        return () => spec.Create(classes, widths);
    }

    /// <summary>The backbone spec the run was trained with (the manifest's <c>options.study.Backbone</c>; small-cnn when absent).</summary>
    /// <exception cref="ChorusException">The manifest's backbone cannot be read.</exception>
    public static BackboneSpec Spec(RunData run)
    {
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            return run.Manifest["options"]?["study"]?["Backbone"]?.Deserialize<BackboneSpec>() ?? new BackboneSpec();
        }
        catch (JsonException e)
        {
            throw new ChorusException($"{run.Layout.Manifest}: options.study.Backbone cannot be read: {e.Message}");
        }
    }

    private static MethodFaithfulness Combine(string method, IReadOnlyList<MethodCache> members, double[] fractions)
    {
        double[] Mean(Func<MethodCache, double[]> pick)
        {
            var first = pick(members[0]);
            var sum = new double[first.Length];
            foreach (var c in members)
            {
                var v = pick(c);
                for (var i = 0; i < sum.Length; i++)
                {
                    sum[i] += v[i];
                }
            }

            return [.. sum.Select(s => s / members.Count)];
        }

        var curves = new List<FaithfulnessCurveRow>();
        void Add(string curve, string aggregate, double[] values) =>
            curves.AddRange(values.Select((v, k) => new FaithfulnessCurveRow(method, curve, aggregate, fractions[k], v)));
        Add("deletion", Aggregates.EnsAvg, Mean(c => c.EnsDeletionCurve));
        Add("deletion", Aggregates.ExpAvg, Mean(c => c.ExpDeletionCurve));
        Add("insertion", Aggregates.EnsAvg, Mean(c => c.EnsInsertionCurve));
        Add("insertion", Aggregates.ExpAvg, Mean(c => c.ExpInsertionCurve));
        return new MethodFaithfulness(
            method,
            MetricEvaluation.FromScores(DeletionMetric, false, Mean(c => c.EnsDeletion), Mean(c => c.ExpDeletion)),
            MetricEvaluation.FromScores(InsertionMetric, true, Mean(c => c.EnsInsertion), Mean(c => c.ExpInsertion)),
            curves);
    }

    private static double[] Fractions(FaithfulnessOptions options, int size)
    {
        var pixels = size * size;
        var step = Math.Min(pixels, options.PixelsPerStep ?? (int)Math.Ceiling(pixels / (double)options.Steps));
        var steps = (pixels + step - 1) / step;
        return [.. Enumerable.Range(0, steps + 1).Select(k => Math.Min(k * step, pixels) / (double)pixels)];
    }

    private static string Fingerprint(FaithfulnessOptions o, RunData run, int n) => string.Create(
        CultureInfo.InvariantCulture,
        $"steps={o.Steps};pps={o.PixelsPerStep};del={o.DeletionBaselineOrDefault};ins={o.InsertionBaselineOrDefault};score={o.Score};images={string.Join(' ', run.ImageIds.Take(n))};methods={string.Join(' ', run.Methods)}");

    private static MemberCache? TryReadCache(string path, string fingerprint)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var cache = JsonSerializer.Deserialize<MemberCache>(File.ReadAllText(path));
            return cache?.Fingerprint == fingerprint ? cache : null;
        }
        catch (JsonException)
        {
            return null; // A cache from another version: recompute it.
        }
    }

    private static void MergeIntoSummary(RunData run, BootstrapOptions bootstrap, IReadOnlyList<MetricComparison> faithfulness)
    {
        var path = run.Layout.Summary;
        var summary = File.Exists(path)
            ? SummaryJson.Read(path)
            : new RunSummary(RunSummary.CurrentSchema, run.Members, "mean", bootstrap, []);
        var kept = summary.Comparisons.Where(c => !(c.Part == Part && c.Metric is DeletionMetric or InsertionMetric));
        SummaryJson.Write(path, summary with { Comparisons = [.. kept, .. faithfulness] });
    }

    /// <summary>One member's results for every method (run/faithfulness/member-XX.json).</summary>
    private sealed record MemberCache(string Fingerprint, Dictionary<string, MethodCache> Methods);

    /// <summary>One member × method: per-image AUCs and the mean curves over images, for the ensemble's and the member's maps.</summary>
    private sealed record MethodCache(
        double[] EnsDeletion,
        double[] EnsInsertion,
        double[] ExpDeletion,
        double[] ExpInsertion,
        double[] EnsDeletionCurve,
        double[] EnsInsertionCurve,
        double[] ExpDeletionCurve,
        double[] ExpInsertionCurve)
    {
        /// <summary>From the curves of 2n images: the first n scored with the ensemble's maps, the last n with the member's.</summary>
        public static MethodCache From(IReadOnlyList<FaithfulnessCurves> curves, int n)
        {
            var ens = curves.Take(n).ToList();
            var exp = curves.Skip(n).ToList();
            return new MethodCache(
                [.. ens.Select(c => c.DeletionAuc)],
                [.. ens.Select(c => c.InsertionAuc)],
                [.. exp.Select(c => c.DeletionAuc)],
                [.. exp.Select(c => c.InsertionAuc)],
                MeanCurve(ens, c => c.Deletion),
                MeanCurve(ens, c => c.Insertion),
                MeanCurve(exp, c => c.Deletion),
                MeanCurve(exp, c => c.Insertion));
        }

        private static double[] MeanCurve(List<FaithfulnessCurves> curves, Func<FaithfulnessCurves, IReadOnlyList<double>> pick)
        {
            var sum = new double[pick(curves[0]).Count];
            foreach (var c in curves)
            {
                var v = pick(c);
                for (var k = 0; k < sum.Length; k++)
                {
                    sum[k] += v[k];
                }
            }

            return [.. sum.Select(s => s / curves.Count)];
        }
    }
}
