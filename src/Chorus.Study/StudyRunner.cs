using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Data.Cub;
using Chorus.Data.Loading;
using Chorus.Data.Regions;
using Chorus.Data.Synthetic;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.IO;
using Chorus.Metrics;
using Chorus.Reports.Figures;
using Chorus.Runs;
using Chorus.Torch;
using Chorus.Torch.Attribution;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using Chorus.Torch.Training;
using TorchSharp;

namespace Chorus.Study;

/// <summary>
/// The study, end to end: dataset → ensemble → explanations → Ens-Avg vs Exp-Avg → files and figures. Every
/// stage writes its output atomically and is skipped on a re-run when its output exists, so an interrupted run
/// resumes where it stopped.
/// </summary>
public sealed partial class StudyRunner(IStudyReporter reporter, StudySettings settings)
{
    /// <summary>Name of the list of images left out, in the output folder.</summary>
    public const string SkippedFile = "skipped.csv";   // RunLayout.Skipped

    // The settings with the dataset's defaults filled in (metrics), once the dataset is open.
    private StudySettings? _resolved;
    private StudyDataset? _dataset;

    // Whether the members were trained from cached frozen-trunk outputs (recorded in the manifest).
    private bool TrunkCacheUsed { get; set; }

    /// <summary>The paths of the run folder (<see cref="StudySettings.Out"/>).</summary>
    public RunLayout Layout { get; } = new(settings.Out);

    /// <summary>The settings as run: the given ones with the dataset's defaults filled in after <see cref="Run"/> or <see cref="TrainOnly"/>.</summary>
    public StudySettings Settings => _resolved ?? settings;

    /// <summary>The dataset studied (set by <see cref="Run"/> and <see cref="TrainOnly"/>).</summary>
    public StudyDataset Dataset => _dataset ?? throw new InvalidOperationException("The study has not started.");

    private IReadOnlyList<string> Metrics => settings.Metrics ?? Dataset.DefaultMetrics;

    /// <summary>
    /// Trains and explains only the members of <see cref="StudySettings.MemberRange"/> (other processes or machines do the
    /// rest on the same folder; <c>chorus evaluate --run</c> scores the ensemble once every member is there).
    /// </summary>
    public void RunMembers(string command, CancellationToken cancellationToken = default)
    {
        var range = settings.MemberRange ?? throw new InvalidOperationException("RunMembers needs a member range.");
        using var trained = Prepare(command, cancellationToken);
        var chosen = ChooseImages(trained.Test.Count, settings.ExplainCount, settings.Seed);
        RunFolder.WriteExplained(Layout, trained.Test, chosen);
        using var explainSet = Subset(trained.Test, chosen);
        InjectedFault.CrashOnce("explain", range, Layout.Run);
        trained.Manifest.Time("explain", () => Explain(trained.RunDir, trained.Factory, settings.Training.Members, explainSet, cancellationToken));
        trained.Manifest.Results["members_range"] = range.ToString();
        trained.Manifest.TimingsSeconds.Add(KeyValuePair.Create("total", trained.Clock.Elapsed.TotalSeconds));
        Save(trained.Manifest);
        trained.Manifest.SaveCopy(Layout.TaskManifest(range));
    }

    /// <summary>Runs the study and returns the evaluation per method and part.</summary>
    public StudyOutcome Run(string command, CancellationToken cancellationToken = default)
    {
        if (settings.MemberRange is { } range && range != MemberRange.All(settings.Training.Members))
        {
            throw new InvalidOperationException("A member range trains and explains part of a study; use RunMembers.");
        }

        using var trained = Prepare(command, cancellationToken);
        var (manifest, test, testSet, members, factory, runDir, total) = (trained.Manifest, trained.Test, trained.TestSet, trained.Members, trained.Factory, trained.RunDir, trained.Clock);
        var chosen = ChooseImages(test.Count, settings.ExplainCount, settings.Seed);
        RunFolder.WriteExplained(Layout, test, chosen);
        using var explainSet = Subset(test, chosen);
        var maps = manifest.Time("explain", () => Explain(runDir, factory, members.Count, explainSet, cancellationToken));
        var outcome = manifest.Time("evaluate", () => Evaluate(test, chosen, maps, members)) with { Baseline = trained.Baseline };
        manifest.Time("figures", () =>
        {
            DrawFigures(test, chosen, maps);
            return 0;
        });
        manifest.Results["images_explained"] = chosen.Length;
        if (IgConvergence(runDir, members.Count) is { } convergence)
        {
            manifest.Results["integrated_gradients_convergence"] = convergence;
        }

        manifest.TimingsSeconds.Add(KeyValuePair.Create("total", total.Elapsed.TotalSeconds));
        Save(manifest);
        RecordCosts(manifest, trainedFresh: members.All(m => !m.Resumed), explainedFresh: _explainResumed == 0);
        WriteCurvesAndReport(test, chosen, maps, cancellationToken);
        return outcome;
    }

    /// <summary>The faithfulness comparisons of the last <see cref="Run"/> with <see cref="StudySettings.Faithfulness"/>, else null.</summary>
    public IReadOnlyList<Chorus.Evaluation.MetricComparison>? Faithfulness { get; private set; }

    /// <summary>Deletion and insertion AUCs of <paramref name="run"/> (<see cref="FaithfulnessRunner"/>) under one progress bar; warns about members that did not learn.</summary>
    public static IReadOnlyList<Chorus.Evaluation.MetricComparison> RunFaithfulness(IStudyReporter reporter, RunData run, Chorus.Torch.Faithfulness.FaithfulnessOptions options, int images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(run);
        var comparisons = reporter.Progress(ctx =>
        {
            var n = images == 0 ? run.Chosen.Length : Math.Min(images, run.Chosen.Length);
            var task = ctx.AddTask($"Faithfulness: {run.Members} members × {run.Methods.Count} methods × {n} images", run.Members * run.Methods.Count);
            var progress = new SyncProgress<FaithfulnessProgress>(p => task.Value = p.Done);
            return FaithfulnessRunner.Run(run, options, images, progress, cancellationToken);
        });
        if (run.BelowBaselineWarning is { } warning)
        {
            reporter.Message(StudyMessageKind.Warning, $"faithfulness: {warning}");
        }

        return comparisons;
    }

    // One phase with one bar of `total` steps that `work` advances; the bar is full at the end.
    private T RunCounted<T>(string description, double total, Func<IProgress<int>, T> work) =>
        reporter.Progress(ctx =>
        {
            var task = ctx.AddTask(description, total);
            var result = work(new SyncProgress<int>(n => task.Value = n));
            task.Value = task.MaxValue;
            return result;
        });

    private static FileLock WaitForLock(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (FileLock.TryAcquire(path, TimeSpan.FromSeconds(5)) is { } held)
            {
                return held;
            }
        }
    }

    // Adaptive IG (--ig-tolerance): steps and gaps over every member and image, from the members' steps files.
    private System.Text.Json.Nodes.JsonObject? IgConvergence(string runDir, int members)
    {
        var tolerance = settings.Attribution.IntegratedGradients.Tolerance;
        if (tolerance is null || !settings.Methods.Contains(IntegratedGradients.CliName))
        {
            return null;
        }

        var rows = Enumerable.Range(0, members).Select(m => EnsembleExplainer.ConvergencePath(runDir, m)).Where(File.Exists)
            .SelectMany(p => File.ReadLines(p).Skip(1)).Select(l => l.Split(','))
            .Select(f => (Steps: int.Parse(f[1], CultureInfo.InvariantCulture), Gap: double.Parse(f[2], CultureInfo.InvariantCulture))).ToList();
        if (rows.Count == 0)
        {
            return null;
        }

        var cap = settings.Attribution.IntegratedGradients.Steps;
        return new System.Text.Json.Nodes.JsonObject
        {
            ["tolerance"] = tolerance.Value,
            ["cap_steps"] = cap,
            ["mean_steps"] = rows.Average(r => r.Steps),
            ["maps_at_cap"] = rows.Count(r => r.Steps == cap),
            ["maps_above_tolerance"] = rows.Count(r => r.Gap > tolerance.Value),
            ["max_relative_gap"] = rows.Max(r => r.Gap),
            ["maps"] = rows.Count,
        };
    }

    /// <summary>Dataset and training only (<c>chorus train</c>): returns the members.</summary>
    public IReadOnlyList<MemberResult> TrainOnly(string command, CancellationToken cancellationToken = default)
    {
        using var trained = Prepare(command, cancellationToken);
        trained.Manifest.TimingsSeconds.Add(KeyValuePair.Create("total", trained.Clock.Elapsed.TotalSeconds));
        Save(trained.Manifest);
        return trained.Members;
    }

    /// <summary>
    /// The work shared by every member, once, before member ranges run in parallel (<c>chorus prepare</c>, a cluster's
    /// first job): the dataset (generated when there is no data folder), its decoded splits (in <see cref="StudySettings.Cache"/>
    /// when set), the members' shared start with its pre-training, and the frozen trunk's outputs when members train from
    /// them. Idempotent; member ranges started afterwards reuse all of it.
    /// </summary>
    public void PrepareOnly(string command, CancellationToken cancellationToken = default)
    {
        var (manifest, train, test, clock) = LoadData(command, cancellationToken);
        var trainer = NewTrainer();
        using var trainSet = ImageTensorSet.FromArrays(train.Pixels, train.Labels, 3, train.Size, train.Size);
        using var testSet = ImageTensorSet.FromArrays(test.Pixels, test.Labels, 3, test.Size, test.Size);
        var trunk = manifest.Time("shared_start", () => reporter.Progress(ctx =>
        {
            var task = ctx.AddTask("Shared start", 1);
            var progress = new SyncProgress<TrainingProgress>(p =>
            {
                task.MaxValue = p.Steps;
                task.Value = p.Step;
                task.Description = $"Shared backbone epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} acc {p.Accuracy:P0}";
            });
            var cached = trainer.Prepare(Layout.Run, trainSet, testSet, progress, cancellationToken);
            task.Value = task.MaxValue;
            return cached;
        }));
        manifest.Results["trunk_outputs_cached"] = trunk;
        manifest.TimingsSeconds.Add(KeyValuePair.Create("total", clock.Elapsed.TotalSeconds));
        reporter.Message(StudyMessageKind.Info, $"Prepared {Layout.Folder}: {train.Count} train and {test.Count} test images, the members' shared start{(trunk ? " and the frozen trunk's outputs" : "")}.");
        Save(manifest);
        manifest.SaveCopy(Layout.PrepareManifest);
    }

    private (RunManifest Manifest, LoadedSplit Train, LoadedSplit Test, Stopwatch Clock) LoadData(string command, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(settings.Out);
        StartTensorWork();
        var manifest = NewManifest(command);

        var dataDir = settings.Data ?? Layout.GeneratedData;
        var format = settings.Format;
        if (settings.Data is null)
        {
            // Processes that share the folder (member ranges) generate it once: the others wait, then reuse it.
            using var generating = WaitForLock(Layout.DataLock, cancellationToken);
            format = manifest.Time("dataset", () => settings.GeneratesLesions ? EnsureSynthLesions(dataDir, cancellationToken) : EnsureSynthBirds(dataDir, cancellationToken));
        }

        var dataset = StudyDataset.Open(dataDir, format, settings.DataOptions);
        _dataset = dataset;
        _resolved = settings with { Metrics = Metrics };
        manifest.SetOptions("study", _resolved);
        manifest.Options["dataset"] = dataset.Describe();
        var splits = manifest.Time("load", () => LoadSplits(dataset, cancellationToken));
        var (train, test) = (splits.Train, splits.Test);
        ReportSkipped(splits.Skipped, manifest);
        if (train.Count == 0 || test.Count == 0)
        {
            throw new ChorusException($"{dataDir}: the train or test split is empty ({train.Count} train, {test.Count} test images).");
        }

        return (manifest, train, test, clock);
    }

    private int _explainResumed;

    /// <summary>
    /// <c>run/costs.json</c>: the seconds the whole ensemble took to train (pre-training included) and to explain, kept from
    /// the run that really did the work (a resumed step keeps the earlier figure), for <c>chorus compare</c>.
    /// </summary>
    private void RecordCosts(RunManifest manifest, bool trainedFresh, bool explainedFresh)
    {
        var path = Layout.Costs;
        var costs = File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject o ? o : new JsonObject();
        double Timing(string key) => manifest.TimingsSeconds.LastOrDefault(p => p.Key == key).Value;
        if (trainedFresh)
        {
            costs["train_s"] = Math.Round(Timing("train"), 3);
        }

        if (explainedFresh)
        {
            costs["explain_s"] = Math.Round(Timing("explain"), 3);
        }

        costs["members"] = settings.Training.Members;
        AtomicFile.WriteAllText(path, costs.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    // The threads, then float32 against float64 on small probes, before the first tensor work (Torch.Numerics).
    private void StartTensorWork()
    {
        torch.set_num_threads(settings.Threads);
        if (settings.Numerics is not null)
        {
            NumericsGuard.Force(NumericsConfigurations.Parse(settings.Numerics));
        }

        NumericsGuard.Ensure();
    }

    // The study's explanation settings, one place for the study, the one-model sources, the control fit and the randomisation test.
    private EnsembleExplainer NewExplainer() => new(settings.Attribution, settings.Reduction, batchSize: StudySettings.ExplainBatch, seed: settings.Seed);

    private EnsembleTrainer NewTrainer() => new(
        () => settings.Backbone.Create(Dataset.ClassNames.Count, settings.Widths),
        settings.Training,
        settings.Backbone.Name == BackboneSpec.SmallCnn
            ? $"small-cnn[{string.Join(",", settings.Widths)}{(settings.Backbone.Dropout > 0 ? ";" + settings.Backbone.DropoutTag : "")}]{(settings.Backbone.TrainStages is { } stages ? string.Create(CultureInfo.InvariantCulture, $"[stages={stages}]") : "")}"
            : settings.Backbone.Describe(),
        trunkCacheDir: settings.Cache ?? Layout.TrunkCache,
        // A frozen-trunk ensemble learns its trunk once, in the shared pre-training, with every stage trainable.
        sharedStartFactory: settings.Training.Kind == EnsembleKind.FrozenTrunk ? () => settings.Backbone.CreateAllTrainable(Dataset.ClassNames.Count, settings.Widths) : null);

    private Trained Prepare(string command, CancellationToken cancellationToken)
    {
        var (manifest, train, test, clock) = LoadData(command, cancellationToken);
        var dataset = Dataset;
        var runDir = Layout.Run;
        var classes = dataset.ClassNames.Count;
        IClassifier Factory() => settings.Backbone.Create(classes, settings.Widths);
        var testSet = ImageTensorSet.FromArrays(test.Pixels, test.Labels, 3, test.Size, test.Size);
        try
        {
            using var trainSet = ImageTensorSet.FromArrays(train.Pixels, train.Labels, 3, train.Size, train.Size);
            var members = manifest.Time("train", () => Train(runDir, Factory, trainSet, testSet, cancellationToken));
            manifest.Results["trained_from_trunk_cache"] = TrunkCacheUsed;
            var baseline = ClassBaseline.FromLabels(test.Labels, classes);
            var below = BelowBaseline(members, baseline);
            ReportAccuracy(members, baseline, below, test.Count);
            manifest.Results["test_accuracy_per_member"] = new JsonArray(members.Select(m => (JsonNode)Math.Round(m.TestAccuracy, 4)).ToArray());
            manifest.Results["test_accuracy_mean"] = Math.Round(members.Average(m => m.TestAccuracy), 4);
            manifest.Results["chance_accuracy"] = Math.Round(1.0 / classes, 4);
            manifest.Results["majority_accuracy"] = Math.Round(baseline.MajorityRate, 4);
            manifest.Results["balanced_accuracy_per_member"] = new JsonArray(members.Select(m => (JsonNode?)(m.TestBalancedAccuracy is { } b ? Math.Round(b, 4) : null)).ToArray());
            manifest.Results["members_below_baseline"] = new JsonArray(below.Select(m => (JsonNode)(m.Index + 1)).ToArray());
            Save(manifest);
            if (settings.MinAccuracy is { } min && members.Where(m => m.TestAccuracy < min).ToList() is { Count: > 0 } weak)
            {
                throw new ChorusException(string.Create(CultureInfo.InvariantCulture, $"{weak.Count} of {members.Count} members reached less than --min-accuracy {min:P1} held-out accuracy ({string.Join(", ", weak.Select(m => $"member {m.Index + 1}: {m.TestAccuracy:P1}"))}); stopping before explaining. The trained members are kept in {runDir}."));
            }

            return new Trained(manifest, test, testSet, members, baseline, Factory, runDir, clock);
        }
        catch
        {
            testSet.Dispose();
            throw;
        }
    }

    private sealed record Trained(
        RunManifest Manifest,
        LoadedSplit Test,
        ImageTensorSet TestSet,
        IReadOnlyList<MemberResult> Members,
        ClassBaseline Baseline,
        Func<IClassifier> Factory,
        string RunDir,
        Stopwatch Clock) : IDisposable
    {
        public void Dispose() => TestSet.Dispose();
    }

    /// <summary>Saves the manifest with the numerics verdict as it stands (model checks are added as models are met).</summary>
    private void Save(RunManifest manifest)
    {
        manifest.Numerics = NumericsGuard.Current?.ToJson();
        manifest.Save(settings.Out);
    }

    private RunManifest NewManifest(string command)
    {
        var manifest = new RunManifest { Command = command };
        manifest.CaptureMachine();
        manifest.Machine["torch_threads"] = settings.Threads.ToString(CultureInfo.InvariantCulture);
        manifest.Machine["native_allocator"] = NativeAllocator.Description;
        manifest.AddVersionOf("chorus", typeof(StudyRunner));
        manifest.AddVersionOf("TorchSharp", typeof(torch));
        manifest.AddVersionOf("SkiaSharp", typeof(SkiaSharp.SKBitmap));
        manifest.Versions["libtorch"] = TorchVersions.Libtorch;
        manifest.Seeds["dataset"] = settings.GeneratesLesions ? settings.Lesions.Seed : settings.Synth.Seed;
        manifest.Seeds["training"] = settings.Training.Seed;
        manifest.Seeds["explain"] = settings.Seed;
        manifest.SetOptions("study", settings);
        var a = settings.Attribution;
        var attribution = new JsonObject { ["reduction"] = settings.Reduction.ToString() };
        foreach (var (key, value) in AttributionSettingsText.Describe(a, settings.Methods))
        {
            attribution[key] = value;
        }

        attribution["gradient_shap_seed"] = $"seed + member index = {settings.Seed} + m";
        attribution["precision"] = a.Precision.ToCliName();
        attribution["layout"] = a.Layout.ToCliName();
        manifest.Options["attribution"] = attribution;
        Save(manifest);
        return manifest;
    }

    private string EnsureSynthBirds(string dataDir, CancellationToken cancellationToken) =>
        EnsureGenerated(dataDir, "SynthBirds", "synthbirds.json", settings.Synth, SynthBirds.GeneratorVersion, settings.Synth.Count, StudyDataset.Cub, ("SynthLesions", SynthLesions.MarkerFile), progress =>
        {
            var summary = SynthBirds.Generate(dataDir, settings.Synth, progress, cancellationToken: cancellationToken);
            return $"SynthBirds: {summary.Images} images, {summary.Species.Count} species, {settings.Synth.ImageSize} px ({summary.TrainImages} train / {summary.TestImages} test).";
        });

    private string EnsureSynthLesions(string dataDir, CancellationToken cancellationToken) =>
        EnsureGenerated(dataDir, "SynthLesions", SynthLesions.MarkerFile, settings.Lesions, SynthLesions.GeneratorVersion, settings.Lesions.Count, StudyDataset.Isic2018, ("SynthBirds", "synthbirds.json"), progress =>
        {
            var summary = SynthLesions.Generate(dataDir, settings.Lesions, progress, cancellationToken: cancellationToken);
            return $"SynthLesions: {summary.Images} images, classes {string.Join("/", summary.Classes)}, {settings.Lesions.ImageSize} px ({summary.TrainImages} train / {summary.TestImages} test).";
        });

    /// <summary>
    /// Reuses the generated dataset in <paramref name="dataDir"/> when its marker records the same options and generator
    /// version, refuses one made with other options or by the other generator, and otherwise (nothing there, or an
    /// interrupted generation) generates it afresh. Returns the dataset's format.
    /// </summary>
    private string EnsureGenerated<TOptions>(
        string dataDir,
        string name,
        string markerFile,
        TOptions options,
        int generatorVersion,
        int count,
        string format,
        (string Name, string MarkerFile) other,
        Func<IProgress<int>, string> generate)
        where TOptions : class
    {
        var marker = Path.Combine(dataDir, markerFile);
        if (File.Exists(marker))
        {
            var existing = JsonNode.Parse(File.ReadAllText(marker));
            var recorded = existing?["options"].Deserialize<TOptions>(new JsonSerializerOptions(JsonSerializerDefaults.Web));
            var version = existing?["generatorVersion"]?.GetValue<int>();
            if (EqualityComparer<TOptions>.Default.Equals(recorded, options) && version == generatorVersion)
            {
                reporter.Message(StudyMessageKind.Detail, $"Reusing {name} in {dataDir}.");
                return format;
            }

            throw new ChorusException($"{dataDir} holds a {name} dataset made with other options or generator version; use a new --out folder or delete {dataDir}.");
        }

        if (File.Exists(Path.Combine(dataDir, other.MarkerFile)))
        {
            throw new ChorusException($"{dataDir} holds a {other.Name} dataset, not {name}; use a new --out folder or delete {dataDir}.");
        }

        if (Directory.Exists(dataDir))
        {
            // An interrupted generation: start over.
            Directory.Delete(dataDir, recursive: true);
        }

        var summary = RunCounted($"Generating {name}", count, generate);
        reporter.Message(StudyMessageKind.Info, summary);
        return format;
    }

    private StudySplits LoadSplits(StudyDataset dataset, CancellationToken cancellationToken)
    {
        var (trainCount, testCount) = dataset.Counts;
        var result = RunCounted(
            $"Loading {trainCount} train + {testCount} test images ({dataset.Format})",
            Math.Max(trainCount + testCount, 1),
            progress => dataset.LoadSplits(settings.ImageSize, progress, cancellationToken));
        foreach (var warning in dataset.Warnings)
        {
            reporter.Message(StudyMessageKind.Warning, warning);
        }

        return result;
    }

    private void ReportSkipped(IReadOnlyList<SkippedImage> skipped, RunManifest manifest)
    {
        manifest.Results["images_skipped"] = skipped.Count;
        StudyFiles.WriteSkipped(Layout.Skipped, skipped);
        if (skipped.Count > 0)
        {
            var first = skipped[0];
            reporter.Message(StudyMessageKind.Warning, $"skipped {skipped.Count} unusable image(s) or file(s), listed in {SkippedFile}; first: {first.Path}: {first.Reason} (--on-bad-image fail stops at the first instead).");
        }
    }

    private IReadOnlyList<MemberResult> Train(string runDir, Func<IClassifier> factory, ImageTensorSet train, ImageTensorSet test, CancellationToken cancellationToken)
    {
        var trainer = NewTrainer();
        var results = reporter.Progress(ctx =>
        {
            var tasks = new Dictionary<int, IStudyTask>();
            var progress = new SyncProgress<TrainingProgress>(p =>
            {
                if (!tasks.TryGetValue(p.Member, out var task))
                {
                    task = ctx.AddTask($"Member {p.Member + 1,2}/{p.Members}", 1);
                    tasks[p.Member] = task;
                }

                task.MaxValue = p.Steps;
                task.Value = p.Step;
                task.Description = p.Member < 0
                    ? $"Shared backbone epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} acc {p.Accuracy:P0}"
                    : p.Message == "resumed"
                    ? $"Member {p.Member + 1,2}/{p.Members} (already trained)"
                    : $"Member {p.Member + 1,2}/{p.Members} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} acc {p.Accuracy:P0}";
            });
            return trainer.Train(runDir, train, test, progress, cancellationToken, settings.MemberRange);
        });
        if (trainer.TrunkCacheUse.Used)
        {
            reporter.Message(StudyMessageKind.Detail, $"Members trained from the frozen trunk's outputs, computed once per image{(trainer.TrunkCacheUse.FromDisk ? " (read from the cache)" : "")}.");
        }

        TrunkCacheUsed = trainer.TrunkCacheUse.Used;
        var resumed = results.Count(r => r.Resumed);
        if (resumed > 0)
        {
            reporter.Message(StudyMessageKind.Detail, $"{resumed} of {results.Count} members already trained in {runDir}; kept.");
        }

        return results;
    }

    /// <summary>The members' held-out accuracy against the majority-class baseline, and a warning naming those not clearly above it.</summary>
    private void ReportAccuracy(IReadOnlyList<MemberResult> members, ClassBaseline baseline, IReadOnlyList<MemberResult> below, int testCount)
    {
        var accs = members.Select(r => r.TestAccuracy).ToList();
        reporter.Message(StudyMessageKind.Info, $"Ensemble of {members.Count}: test accuracy mean {accs.Average():P1} (min {accs.Min():P1}, max {accs.Max():P1}) on {testCount} test images; baseline: the majority class, {baseline.MajorityRate:P1} (chance 1/{baseline.Classes} = {baseline.Chance:P1}).");
        if (below.Count > 0)
        {
            reporter.Message(StudyMessageKind.Warning, $"{DescribeBelow(below, baseline)} Their maps explain models that did not learn; see --lr, --backbone-lr, --warmup, --epochs.");
        }
    }

    /// <summary>The members (0-based) whose held-out accuracy or balanced accuracy is not clearly above the baseline.</summary>
    internal static IReadOnlyList<MemberResult> BelowBaseline(IReadOnlyList<MemberResult> members, ClassBaseline baseline) =>
        members.Where(m => !baseline.IsClearlyAbove(m.TestAccuracy, m.TestBalancedAccuracy)).ToList();

    /// <summary>e.g. "members 2 and 3 (12.5 %, 13.0 % held-out accuracy) are not clearly above the majority-class baseline 12.5 % (+ 6.8 points)."</summary>
    internal static string DescribeBelow(IReadOnlyList<MemberResult> below, ClassBaseline baseline)
    {
        var names = below.Select(m => (m.Index + 1).ToString(CultureInfo.InvariantCulture)).ToList();
        var which = names.Count == 1 ? $"member {names[0]}" : $"members {string.Join(", ", names.Take(names.Count - 1))} and {names[^1]}";
        var accuracies = string.Join(", ", below.Select(m => m.TestAccuracy.ToString("P1", CultureInfo.InvariantCulture)));
        return string.Create(CultureInfo.InvariantCulture, $"{which} ({accuracies} held-out accuracy) {(names.Count == 1 ? "is" : "are")} not clearly above the majority-class baseline {baseline.MajorityRate:P1} (needs + {baseline.AccuracyMargin * 100:F1} points, and balanced accuracy above chance {baseline.Chance:P1} + {baseline.BalancedMargin * 100:F1}).");
    }

    /// <summary>The test images explained: all, or <paramref name="explainCount"/> drawn with <paramref name="seed"/>, sorted.</summary>
    internal static int[] ChooseImages(int count, int explainCount, long seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (explainCount <= 0 || explainCount >= count)
        {
            return order;
        }

        new Random(unchecked((int)seed)).Shuffle(order);
        var chosen = order.Take(explainCount).ToArray();
        Array.Sort(chosen);
        return chosen;
    }

    private void WriteCurvesAndReport(LoadedSplit test, int[] chosen, IReadOnlyDictionary<string, SaliencyMap[][]> maps, CancellationToken cancellationToken)
    {
        var run = RunFolder.FromMemory(settings.Out, test, chosen, settings.Methods, maps, Dataset);
        RunOutputs.Curves(run, Metrics);
        if (settings.Faithfulness)
        {
            Faithfulness = RunFaithfulness(reporter, run, FaithfulnessRunner.DefaultOptions, FaithfulnessRunner.DefaultImages, cancellationToken);
        }

        var report = RunOutputs.Report(run, settings.Figures);
        reporter.Message(StudyMessageKind.Info, $"Wrote curves.csv and {Path.GetFullPath(report)}.");
    }

    private static ImageTensorSet Subset(LoadedSplit split, int[] chosen)
    {
        var (pixels, labels) = split.Gather(chosen);
        return ImageTensorSet.FromArrays(pixels, labels, 3, split.Size, split.Size);
    }

    /// <summary>
    /// Maps on disk are reused on a re-run only when they were computed with the same explanation settings
    /// (method options, precision, reduction, seed): <c>run/maps/settings.txt</c> records them.
    /// </summary>
    private void GuardMapSettings(string runDir) => GuardMapSettingsAt(Layout.MapSettings);

    // maps/settings.txt: the explanation settings the maps on disk were made with (plus a map source's own lines).
    private void GuardMapSettingsAt(string path, params string[] extra)
    {
        var a = settings.Attribution;
        var described = AttributionSettingsText.Describe(a, settings.Methods).Select(p => $"{p.Key}={p.Value}").ToList();
        var text = string.Join('\n', [
            $"reduction={settings.Reduction}", .. described[..4], $"precision={a.Precision.ToCliName()}",
            string.Create(CultureInfo.InvariantCulture, $"seed={settings.Seed}"),
            .. LayoutLines(a), .. described[4..], .. extra]) + "\n";
        if (File.Exists(path))
        {
            var old = File.ReadAllText(path);
            if (old != text)
            {
                var was = old.Split('\n').Except(text.Split('\n')).FirstOrDefault(l => l.Length > 0);
                var now = text.Split('\n').Except(old.Split('\n')).FirstOrDefault(l => l.Length > 0);
                var changed = was is null ? $"now: {now}" : now is null ? $"was: {was}" : $"was: {was}, now: {now}";
                throw new ChorusException($"{Path.GetDirectoryName(path)} holds maps computed with other explanation settings ({changed}); use a new --out folder, delete that folder, or run with the old settings.");
            }

            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, text);
    }

    // The memory order changes maps at the level of float rounding; recorded so a resumed run does not mix orders. Plain
    // NCHW writes no line, so run folders from before the option existed (all NCHW) resume with --layout nchw.
    private static string[] LayoutLines(AttributionSettings a) => a.Layout == MemoryLayout.ChannelsLast ? ["layout=channels-last"] : [];

    private IReadOnlyDictionary<string, SaliencyMap[][]> Explain(string runDir, Func<IClassifier> factory, int members, ImageTensorSet images, CancellationToken cancellationToken)
    {
        GuardMapSettings(runDir);
        var explainer = NewExplainer();
        var (maps, resumed) = reporter.Progress(ctx =>
        {
            var task = ctx.AddTask($"Explaining {images.Count} images × {members} members × {settings.Methods.Count} methods", (double)members * images.Count);
            var resumed = new HashSet<int>();
            var progress = new SyncProgress<ExplainProgress>(p =>
            {
                task.Value = ((double)p.Member * p.Images) + p.ImagesDone;
                if (p.Resumed)
                {
                    resumed.Add(p.Member);
                }
            });
            var computed = explainer.Explain(runDir, m => EnsembleTrainer.LoadMember(factory, runDir, m), members, images, settings.Methods, progress, cancellationToken, settings.MemberRange);
            return (computed, resumed.Count);
        });
        _explainResumed = resumed;
        if (resumed > 0)
        {
            reporter.Message(StudyMessageKind.Detail, $"Maps of {resumed} of {members} members were already on disk; kept.");
        }

        return maps;
    }

    private StudyOutcome Evaluate(LoadedSplit test, int[] chosen, IReadOnlyDictionary<string, SaliencyMap[][]> maps, IReadOnlyList<MemberResult> members)
    {
        var metrics = Metrics.Select(MetricRegistry.Create).ToList();
        var evaluator = new EnsembleEvaluator(metrics, settings.Aggregator);
        var ids = chosen.Select(i => test.ImageIds[i].ToString(CultureInfo.InvariantCulture)).ToList();
        var results = new List<StudyCell>();
        foreach (var method in settings.Methods)
        {
            var perMember = maps[method].Select(m => (IReadOnlyList<SaliencyMap>)m).ToList();
            foreach (var part in Dataset.Parts)
            {
                var rois = chosen.Select(i => test.Regions[part][i]?.Mask).ToList();
                results.Add(new StudyCell(part, method, evaluator.Evaluate(perMember, rois, ids)));
            }
        }

        var outcome = new StudyOutcome(results, members, Metrics);
        StudyFiles.Write(settings.Out, outcome, settings.Seed, settings.Aggregator.Name);
        return outcome;
    }

    private void DrawFigures(LoadedSplit test, int[] chosen, IReadOnlyDictionary<string, SaliencyMap[][]> maps)
    {
        var count = Math.Min(settings.Figures, chosen.Length);
        var s = test.Size;
        for (var k = 0; k < count; k++)
        {
            var i = chosen[k];
            var rgb = test.Rgb(i);

            foreach (var method in settings.Methods)
            {
                var memberMaps = maps[method].Select(m => m[k]).ToList();
                var ensemble = settings.Aggregator.Aggregate(memberMaps);
                foreach (var part in Dataset.Parts)
                {
                    var roi = test.Regions[part][i]?.Mask;
                    var path = Layout.Figure(method, test.ImageIds[i], part);
                    EnsembleFigure.Save(path, rgb, s, s, roi, memberMaps, ensemble);
                }
            }
        }
    }
}
