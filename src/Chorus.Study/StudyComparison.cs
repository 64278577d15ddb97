using System.Globalization;
using System.Text.Json.Nodes;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Metrics;
using Chorus.Statistics;
using Chorus.Reports.Figures;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>One row of compare.csv: a map source with an aggregation rule (or a control), for one method, part and metric.</summary>
/// <param name="Source"><c>ensemble</c>, a one-model source (<c>smoothgrad</c>, <c>noisegrad</c>, <c>fusiongrad</c>, <c>tta</c>, <c>mc-dropout</c>) or a control (<c>control:smoothing</c>, <c>control:centre-prior</c>).</param>
/// <param name="Rule">The aggregation rule, or <c>single</c> for the expected single map (Exp-Avg), or <c>-</c> for a control.</param>
/// <param name="Comparison">The source's per-image scores as <c>Exp</c> against plain Ens-Avg (the ensemble's mean) as <c>Ens</c>: the paired difference is Ens-Avg − this row.</param>
/// <param name="TrainSeconds">Seconds of training the maps needed: the whole ensemble, or one model (one member with the shared pre-training) for a one-model source and for any <c>single</c> row.</param>
/// <param name="ExplainSeconds">Seconds of explanation the maps needed.</param>
public sealed record CompareRow(string Source, string Rule, MetricComparison Comparison, double TrainSeconds, double ExplainSeconds)
{
    /// <summary>This row's mean minus plain Ens-Avg's, signed so that positive is better (by the metric's direction).</summary>
    public double Gain => (Comparison.Exp.Mean - Comparison.Ens.Mean) * (Comparison.HigherIsBetter ? 1 : -1);
}

/// <summary>One source of n maps per image for <see cref="StudyComparison.Compare"/>, with what it cost.</summary>
/// <param name="Name"><c>ensemble</c> (the reference), <c>ensemble:KIND</c> for a cheaper ensemble kind, or a one-model source's name.</param>
/// <param name="Maps">maps[method][i][image], the images of the reference run in its order.</param>
/// <param name="TrainSeconds">Seconds of training all n maps needed.</param>
/// <param name="ExplainSeconds">Seconds of explanation all n maps needed.</param>
/// <param name="SingleTrainSeconds">Seconds of training one model of the source (its <c>single</c> rows).</param>
public sealed record CompareSource(string Name, IReadOnlyDictionary<string, SaliencyMap[][]> Maps, double TrainSeconds, double ExplainSeconds, double SingleTrainSeconds);

/// <summary>
/// <c>chorus compare</c>'s engine: every map source × aggregation rule, and the controls, scored against plain Ens-Avg on
/// the same images, with what each cost (compare.csv).
/// </summary>
public static class StudyComparison
{
    /// <summary>The aggregation rules compared.</summary>
    public static IReadOnlyList<string> Rules { get; } = ["mean", "median", "trimmed-mean", "crh", "agg-var"];

    /// <summary>compare.csv's header.</summary>
    public const string Header = "source,rule,method,part,metric,higher_is_better,mean,ci_low,ci_high,n_images,ens_avg_mean,diff_vs_ens_avg,diff_ci_low,diff_ci_high,wilcoxon_p,train_s,explain_s";

    /// <summary>
    /// Scores <paramref name="sources"/> (maps[method][i][image] per source name, with their training and explanation
    /// seconds) and the controls against plain Ens-Avg of <paramref name="run"/>'s ensemble. The smoothing control's σ is
    /// fitted on <paramref name="controlFit"/> (the members' maps of training images, [method][member][image]) when given,
    /// otherwise cross-fitted over the explained images (<see cref="Controls.For"/>).
    /// </summary>
    public static IReadOnlyList<CompareRow> Compare(
        RunData run,
        IReadOnlyList<string> metricNames,
        IReadOnlyList<CompareSource> sources,
        double[][]? probabilities = null,
        IReadOnlyDictionary<string, SaliencyMap[][]>? controlFit = null,
        double[]? validationAccuracies = null,
        List<(string Method, double TrainSigma, double TestSigmaEven, double TestSigmaOdd)>? sigmas = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var metrics = metricNames.Select(MetricRegistry.Create).ToList();
        var bootstrap = new BootstrapOptions(Seed: unchecked((int)run.Seed));
        var ids = run.ImageIds;
        var plain = new EnsembleEvaluator(metrics, EnsembleAggregator.Mean);
        var rows = new List<CompareRow>();
        var ensemble = sources.First(s => s.Name == MapSource.Ensemble.Name());
        foreach (var method in run.Methods)
        {
            // Per method, not per part: the controls' maps (fitting σ blurs every map a dozen times) and the weighted maps.
            var controls = Controls.For(PerMember(ensemble.Maps[method]), EnsembleAggregator.Mean, controlFit is null ? null : PerMember(controlFit[method]));
            // With σ from training images, also the control with σ cross-fitted on the test maps (still no region): where the
            // members agree on the images they were trained on, the first may choose σ = 0, and the second is the stronger test.
            var crossFitted = controlFit is null ? null : Controls.For(PerMember(ensemble.Maps[method]), EnsembleAggregator.Mean);
            sigmas?.Add((method, controls.SigmaEven, crossFitted?.SigmaEven ?? double.NaN, crossFitted?.SigmaOdd ?? double.NaN));
            // The weighted means of the ensemble: per image by each member's probability of the class, and by each member's
            // accuracy on held-out images (one weight per member, the same for every image).
            var images = ensemble.Maps[method][0].Length;
            List<(string Rule, IReadOnlyList<IReadOnlyList<SaliencyMap>> Maps)> weightedRules =
            [
                .. probabilities is null ? [] : new[] { (ProbabilityWeighted, Weighted(ensemble.Maps[method], probabilities)) },
                .. validationAccuracies is null ? [] : new[] { (AccuracyWeighted, Weighted(ensemble.Maps[method], [.. AccuracyWeights(validationAccuracies).Select(w => Enumerable.Repeat(w, images).ToArray())])) },
            ];
            foreach (var part in run.Parts)
            {
                var rois = run.Chosen.Select(i => run.Test.Regions[part][i]?.Mask).ToList();
                var reference = plain.Evaluate(PerMember(ensemble.Maps[method]), rois, ids);
                MetricComparison Against(MetricEvaluation m, IReadOnlyList<double> scores) =>
                    ResultTables.Compare(part, method, MetricEvaluation.FromScores(m.Metric, m.HigherIsBetter, m.Ens, scores), reference.ImagesNotVisible, bootstrap);

                foreach (var (name, maps, train, explain, single) in sources)
                {
                    var perMember = PerMember(maps[method]);
                    foreach (var rule in Rules)
                    {
                        // The ensemble's mean is the reference itself, already evaluated.
                        var result = name == ensemble.Name && rule == "mean" ? reference
                            : new EnsembleEvaluator(metrics, EnsembleAggregator.Parse(rule)).Evaluate(perMember, rois, ids);
                        rows.AddRange(reference.Metrics.Select(m => new CompareRow(name, rule, Against(m, result[m.Metric].Ens), train, explain)));
                        if (rule == "mean")
                        {
                            // One map of one trained model: one model's training, one map's explanation.
                            rows.AddRange(reference.Metrics.Select(m => new CompareRow(name, "single", Against(m, result[m.Metric].Exp), single, explain / perMember.Count)));
                        }
                    }
                }

                foreach (var (rule, weightedMaps) in weightedRules)
                {
                    var weighted = plain.Evaluate(weightedMaps, rois, ids);
                    rows.AddRange(reference.Metrics.Select(m => new CompareRow(ensemble.Name, rule, Against(m, weighted[m.Metric].Ens), ensemble.TrainSeconds, ensemble.ExplainSeconds)));
                }

                // The controls beside the ensemble: its members' maps blurred, and one centre prior for every image.
                var smooth = plain.Evaluate(controls.Blurred, rois, ids);
                var centre = plain.Evaluate(controls.Centre, rois, ids);
                rows.AddRange(reference.Metrics.Select(m => new CompareRow("control:smoothing", "-", Against(m, smooth[m.Metric].Exp), ensemble.TrainSeconds, ensemble.ExplainSeconds)));
                if (crossFitted is not null)
                {
                    var smoothTest = plain.Evaluate(crossFitted.Blurred, rois, ids);
                    rows.AddRange(reference.Metrics.Select(m => new CompareRow(SmoothingCrossFitted, "-", Against(m, smoothTest[m.Metric].Exp), ensemble.TrainSeconds, ensemble.ExplainSeconds)));
                }

                rows.AddRange(reference.Metrics.Select(m => new CompareRow("control:centre-prior", "-", Against(m, centre[m.Metric].Exp), 0, 0)));
            }
        }

        return rows;
    }

    /// <summary>The source name of the smoothing control with σ cross-fitted on the test maps, beside the one fitted on training maps.</summary>
    public const string SmoothingCrossFitted = "control:smoothing-crossfit";

    /// <summary>The rule name of the probability-weighted mean.</summary>
    public const string ProbabilityWeighted = "prob-weighted";

    /// <summary>The rule name of the validation-accuracy-weighted mean.</summary>
    public const string AccuracyWeighted = "acc-weighted";

    /// <summary>Weights w_j = a_j / Σ_k a_k of <paramref name="accuracies"/> (equal weights when they are all 0); they sum to one.</summary>
    public static double[] AccuracyWeights(IReadOnlyList<double> accuracies)
    {
        ArgumentNullException.ThrowIfNull(accuracies);
        if (accuracies.Any(a => !(a >= 0) || double.IsInfinity(a)))
        {
            throw new ArgumentException("Accuracies must be finite and non-negative.", nameof(accuracies));
        }

        var total = accuracies.Sum();
        return [.. accuracies.Select(a => total > 0 ? a / total : 1.0 / accuracies.Count)];
    }

    /// <summary>
    /// Each member's map of image i scaled by n · w_j(i), w_j(i) = p_j(i) / Σ_k p_k(i), so that the plain mean of the
    /// scaled maps is the weighted mean Σ_j w_j(i) · map_j(i). The weights use the models' outputs on the image only.
    /// </summary>
    /// <param name="maps">maps[member][image].</param>
    /// <param name="probabilities">probabilities[member][image]: the member's softmax probability of the explained class.</param>
    public static IReadOnlyList<IReadOnlyList<SaliencyMap>> Weighted(SaliencyMap[][] maps, double[][] probabilities)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(probabilities);
        var n = maps.Length;
        var images = maps[0].Length;
        var result = new SaliencyMap[n][];
        for (var j = 0; j < n; j++)
        {
            result[j] = new SaliencyMap[images];
        }

        for (var i = 0; i < images; i++)
        {
            var total = Enumerable.Range(0, n).Sum(j => probabilities[j][i]);
            for (var j = 0; j < n; j++)
            {
                var w = total > 0 ? n * probabilities[j][i] / total : 1.0;
                var v = maps[j][i].Values;
                result[j][i] = new SaliencyMap(maps[j][i].Height, maps[j][i].Width, [.. v.Select(x => (float)(x * w))]);
            }
        }

        return [.. result.Select(r => (IReadOnlyList<SaliencyMap>)r)];
    }

    /// <summary>Writes compare.csv atomically.</summary>
    public static void Write(string path, IEnumerable<CompareRow> rows) =>
        Csv.Write(path, Header, rows.Select(r =>
        {
            var c = r.Comparison;
            return new[]
            {
                Csv.Field(r.Source), Csv.Field(r.Rule), Csv.Field(c.Method), Csv.Field(c.Part), Csv.Field(c.Metric), Csv.Field(c.HigherIsBetter),
                Csv.Field(c.Exp.Mean), Csv.Field(c.Exp.CiLow), Csv.Field(c.Exp.CiHigh), Csv.Field(c.Exp.NImages), Csv.Field(c.Ens.Mean),
                Csv.Field(-c.Difference.Mean), Csv.Field(-c.Difference.CiHigh), Csv.Field(-c.Difference.CiLow), Csv.Field(c.Wilcoxon.PValue),
                Csv.Field(Math.Round(r.TrainSeconds, 3)), Csv.Field(Math.Round(r.ExplainSeconds, 3)),
            };
        }));

    /// <summary>Path of compare.csv in a compared run folder.</summary>
    public static string CsvPath(string folder) => Path.Combine(folder, "compare.csv");

    /// <summary>Path of compare.json (the notes of the last comparison: how σ and the weights were fitted) in a run folder.</summary>
    public static string NotesPath(string folder) => Path.Combine(folder, "compare.json");

    /// <summary>
    /// The report's compare section from <c>compare.csv</c> (and compare.json's notes) in <paramref name="folder"/>: per
    /// source × rule, how many comparisons beat plain Ens-Avg, and the quality-vs-cost panels; null when there is no compare.csv.
    /// </summary>
    /// <exception cref="InvalidDataException">compare.csv is malformed (the message names the file and line).</exception>
    public static Chorus.Reports.Html.ComparisonReport? ReadReport(string folder)
    {
        var path = CsvPath(folder);
        if (!File.Exists(path))
        {
            return null;
        }

        var cols = Header.Split(',');
        int Col(string name) => Array.IndexOf(cols, name);
        var parsed = Csv.Read(path, Header).Select(row =>
        {
            var (line, f) = row;
            double D(string c) => f[Col(c)].Length == 0 ? double.NaN : Csv.ParseDouble(f[Col(c)], path, line, c);
            var higher = Csv.ParseBool(f[Col("higher_is_better")], path, line, "higher_is_better");
            return new Scored(f[Col("source")], f[Col("rule")], f[Col("metric")], f[Col("part")], D("diff_vs_ens_avg") * (higher ? 1 : -1), D("wilcoxon_p"), D("train_s"), D("explain_s"));
        }).ToList();
        var rows = Summary(parsed);
        var panels = Panels(parsed);
        var notes = new List<string>();
        foreach (var control in new[] { "control:smoothing", SmoothingCrossFitted, "control:centre-prior" })
        {
            var c = parsed.Where(r => r.Source == control && double.IsFinite(r.Gain)).ToList();
            if (c.Count > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"Ens-Avg beats the {control["control:".Length..]} control in {c.Count(r => r.Gain < 0)} of {c.Count} comparisons ({c.Count(r => r.Gain < 0 && r.P < 0.05)} with p < 0.05); the control beats it in {c.Count(r => r.Gain > 0)} ({c.Count(r => r.Gain > 0 && r.P < 0.05)} with p < 0.05)."));
            }
        }

        var notesPath = NotesPath(folder);
        if (File.Exists(notesPath) && JsonNode.Parse(File.ReadAllText(notesPath))?["notes"] is JsonArray saved)
        {
            notes.AddRange(saved.Select(n => n!.GetValue<string>()));
        }

        return new Chorus.Reports.Html.ComparisonReport(rows, panels, notes);
    }

    /// <summary>
    /// Per source × rule (in first-seen order): the comparisons won against plain Ens-Avg, how many of those and of the
    /// losses have Wilcoxon p &lt; 0.05, and the costs; the command line's table and the report's.
    /// </summary>
    public static IReadOnlyList<Chorus.Reports.Html.ComparisonSummaryRow> Summary(IEnumerable<CompareRow> rows) => Summary(rows.Select(Scored.Of));

    /// <summary>One panel per metric and part: each source × rule (and control) at its cost, its gain over plain Ens-Avg averaged over methods.</summary>
    public static IReadOnlyList<QualityCostPanel> Panels(IEnumerable<CompareRow> rows) => Panels(rows.Select(Scored.Of));

    private static List<Chorus.Reports.Html.ComparisonSummaryRow> Summary(IEnumerable<Scored> rows) =>
        [.. rows.GroupBy(r => (r.Source, r.Rule)).Select(g => new Chorus.Reports.Html.ComparisonSummaryRow(
            g.Key.Source,
            g.Key.Rule,
            g.Count(r => r.Gain > 0),
            g.Count(),
            g.Count(r => r.Gain > 0 && r.P < 0.05),
            g.Count(r => r.Gain < 0 && r.P < 0.05),
            g.First().Train,
            g.First().Explain))];

    private static List<QualityCostPanel> Panels(IEnumerable<Scored> rows) =>
        [.. rows.GroupBy(r => (r.Metric, r.Part)).Select(g => new QualityCostPanel(
            $"{g.Key.Metric} · {g.Key.Part}",
            [.. g.GroupBy(r => (r.Source, r.Rule)).Select(s => new QualityCostPoint(
                s.Key.Rule == "-" ? s.Key.Source : $"{s.Key.Source}/{s.Key.Rule}",
                s.First().Train + s.First().Explain,
                s.Select(r => r.Gain).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average()))]))];

    /// <summary>The ensemble's training and explanation seconds from <c>run/costs.json</c> (NaN when not recorded).</summary>
    public static (double Train, double Explain) EnsembleCosts(RunLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var costs = File.Exists(layout.Costs) ? JsonNode.Parse(File.ReadAllText(layout.Costs)) : null;
        return (costs?["train_s"]?.GetValue<double>() ?? double.NaN, costs?["explain_s"]?.GetValue<double>() ?? double.NaN);
    }

    /// <summary>Seconds of one member's training: the ensemble's minus every other member's own (member records), so the shared pre-training stays in.</summary>
    public static double OneMemberTrainSeconds(RunLayout layout, double ensembleTrain, int members)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var others = 0.0;
        for (var m = 1; m < members; m++)
        {
            var record = Path.ChangeExtension(layout.Checkpoint(m), ".json");
            if (!File.Exists(record) || JsonNode.Parse(File.ReadAllText(record))?["Seconds"]?.GetValue<double>() is not { } s)
            {
                return ensembleTrain / members;
            }

            others += s;
        }

        return Math.Max(0, ensembleTrain - others);
    }

    private static List<IReadOnlyList<SaliencyMap>> PerMember(SaliencyMap[][] maps) => [.. maps.Select(m => (IReadOnlyList<SaliencyMap>)m)];

    // One compared row as the summaries read it, from a CompareRow or a line of compare.csv: Gain > 0 is better than plain Ens-Avg.
    private readonly record struct Scored(string Source, string Rule, string Metric, string Part, double Gain, double P, double Train, double Explain)
    {
        public static Scored Of(CompareRow r) =>
            new(r.Source, r.Rule, r.Comparison.Metric, r.Comparison.Part, r.Gain, r.Comparison.Wilcoxon.PValue, r.TrainSeconds, r.ExplainSeconds);
    }
}

/// <summary>The comparison as a study stage: the study (resumed), the one-model sources, compare.csv and compare.svg.</summary>
public static class StudyCompareStage
{
    /// <summary>
    /// Runs (or resumes) the study of <paramref name="settings"/>, explains each of <paramref name="sources"/> from member 0,
    /// and writes <c>OUT/compare.csv</c> and <c>OUT/compare.svg</c> (quality against cost, one panel per metric and part,
    /// the Pareto front in red). Returns the rows.
    /// </summary>
    public static IReadOnlyList<CompareRow> Run(StudySettings settings, IReadOnlyList<MapSource> sources, IStudyReporter reporter, CancellationToken cancellationToken = default) =>
        Run(settings, sources, [], reporter, cancellationToken);

    /// <summary>
    /// As <see cref="Run(StudySettings, IReadOnlyList{MapSource}, IStudyReporter, CancellationToken)"/>, and also an ensemble
    /// of each of <paramref name="kinds"/> (snapshot, multi-head, frozen-trunk), trained and explained as its own study in
    /// <c>OUT/ensembles/KIND</c> on the same data and images (source <c>ensemble:KIND</c>).
    /// </summary>
    public static IReadOnlyList<CompareRow> Run(StudySettings settings, IReadOnlyList<MapSource> sources, IReadOnlyList<EnsembleKind> kinds, IStudyReporter reporter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        if (settings is not null && settings.Training.Kind != EnsembleKind.Independent)
        {
            throw new ArgumentException($"compare's reference is the independent ensemble; the {settings.Training.Kind.Name()} kind is one of the kinds compared with it.", nameof(settings));
        }

        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Contains(MapSource.McDropout) && settings.Backbone.Dropout <= 0)
        {
            // Before the study runs: its members would be trained (or are) without dropout.
            throw new ChorusException(StudyRunner.NoDropoutMessage(settings.Out));
        }

        var runner = new StudyRunner(reporter, settings with { MemberRange = null });
        runner.Run("compare", cancellationToken);
        var layout = new RunLayout(settings.Out);
        var (train, explain) = StudyComparison.EnsembleCosts(layout);
        var run = RunFolder.Load(settings.Out, settings.Data);
        var metrics = runner.Settings.Metrics ?? Chorus.Metrics.MetricRegistry.DefaultNames;
        var one = StudyComparison.OneMemberTrainSeconds(layout, train, run.Members);
        var list = new List<CompareSource> { new(MapSource.Ensemble.Name(), run.Maps, train, explain, one) };
        foreach (var kind in kinds.Where(k => k != EnsembleKind.Independent))
        {
            list.Add(KindSource(settings, run, kind, reporter, cancellationToken));
        }

        foreach (var source in sources.Where(s => s != MapSource.Ensemble))
        {
            var (maps, seconds) = runner.ExplainSource(source, cancellationToken);
            var costPath = Path.Combine(runner.SourceFolder(source), "costs.json");
            if (seconds > 0)
            {
                Chorus.IO.AtomicFile.WriteAllText(costPath, new JsonObject { ["explain_s"] = Math.Round(seconds, 3) }.ToJsonString());
            }

            var recorded = File.Exists(costPath) ? JsonNode.Parse(File.ReadAllText(costPath))?["explain_s"]?.GetValue<double>() ?? double.NaN : double.NaN;
            list.Add(new(source.Name(), maps, one, recorded, one));
        }

        // The smoothing control's σ from the members' maps of training images: no test image has a say in it.
        var fit = runner.ExplainControlFit(StudyRunner.ControlFitImages, cancellationToken);
        var (accuracies, heldOut) = HeldOutAccuracies(run);
        var accuracyNote = heldOut > 0
            ? string.Create(CultureInfo.InvariantCulture, $"acc-weighted: each member weighs its accuracy on the {heldOut} test images that are not explained (held out from scoring) over the sum: {string.Join(" ", accuracies!.Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))}.")
            : "acc-weighted left out: every test image is explained, so none is left to measure the members' accuracy on without the scored images.";
        reporter.Message(heldOut > 0 ? StudyMessageKind.Info : StudyMessageKind.Warning, accuracyNote);
        var sigmas = new List<(string Method, double TrainSigma, double TestSigmaEven, double TestSigmaOdd)>();
        var rows = StudyComparison.Compare(run, metrics, list, MemberProbabilities(run), fit, accuracies, sigmas);
        StudyComparison.Write(StudyComparison.CsvPath(settings.Out), rows);
        QualityCostPlot.Save(Path.Combine(settings.Out, "compare.svg"), StudyComparison.Panels(rows), "gain over plain Ens-Avg, mean over methods");
        var fitCount = fit.Values.First()[0].Length;
        Chorus.IO.AtomicFile.WriteAllText(StudyComparison.NotesPath(settings.Out), new JsonObject
        {
            ["notes"] = new JsonArray(
                string.Create(CultureInfo.InvariantCulture, $"Smoothing control: σ per method chosen on every member's maps of {fitCount} training images (no test image, map or region), so that the blurred members' spatial autocorrelation matches the ensemble map's: {string.Join(", ", sigmas.Select(x => $"{x.Method} {x.TrainSigma:0.##} px"))}. control:smoothing-crossfit chooses σ on the test maps instead (no region; the even images' σ on the odd ones and the other way round): {string.Join(", ", sigmas.Select(x => $"{x.Method} {x.TestSigmaEven:0.##}/{x.TestSigmaOdd:0.##} px"))}."),
                accuracyNote,
                "prob-weighted: member j weighs its softmax probability of the image's class over the sum (per image; model outputs only). crh: truth discovery from the median, 20 rounds. agg-var: mean / (std + 0.1) on max-abs-scaled maps."),
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        RunOutputs.Report(run, runner.Settings.Figures);
        return rows;
    }

    /// <summary>The folder of an ensemble kind's study inside a comparison: <c>OUT/ensembles/KIND</c>.</summary>
    public static string KindFolder(string compareOut, EnsembleKind kind) => Path.Combine(compareOut, "ensembles", kind.Name());

    // An ensemble of another kind as a source: its own study (resumed when done) in OUT/ensembles/KIND, same data and seed,
    // so the same images are explained (checked), with its own measured costs.
    private static CompareSource KindSource(StudySettings settings, RunData reference, EnsembleKind kind, IStudyReporter reporter, CancellationToken cancellationToken)
    {
        var out_ = KindFolder(settings.Out, kind);
        var kindSettings = settings.WithEnsemble(kind) with { Out = out_, MemberRange = null };
        new StudyRunner(reporter, kindSettings).Run("compare", cancellationToken);
        var run = RunFolder.Load(out_, kindSettings.Data);
        if (!run.ImageIds.SequenceEqual(reference.ImageIds, StringComparer.Ordinal))
        {
            throw new ChorusException($"{out_}: the {kind.Name()} ensemble explained other images than the reference in {settings.Out}; delete {out_} and compare again.");
        }

        var layout = new RunLayout(out_);
        var (train, explain) = StudyComparison.EnsembleCosts(layout);
        return new CompareSource($"{MapSource.Ensemble.Name()}:{kind.Name()}", run.Maps, train, explain, StudyComparison.OneMemberTrainSeconds(layout, train, run.Members));
    }

    /// <summary>
    /// Each member's accuracy on the test images that are not explained (a validation set: the members never trained on
    /// them, and no scored image or region is among them), and how many there are; null accuracies when there are none.
    /// </summary>
    public static (double[]? Accuracies, int Images) HeldOutAccuracies(RunData run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var explained = run.Chosen.ToHashSet();
        var held = Enumerable.Range(0, run.Test.Count).Where(i => !explained.Contains(i)).ToArray();
        if (held.Length == 0)
        {
            return (null, 0);
        }

        var size = run.Test.Size;
        var (pixels, labels) = run.Test.Gather(held);
        var factory = FaithfulnessRunner.Factory(run);
        using var set = Chorus.Torch.Training.ImageTensorSet.FromArrays(pixels, labels, 3, size, size);
        var accuracies = new double[run.Members];
        for (var m = 0; m < run.Members; m++)
        {
            using var model = EnsembleTrainer.LoadMember(factory, run.Layout.Run, m);
            accuracies[m] = EnsembleTrainer.Accuracy(model, set);
        }

        return (accuracies, held.Length);
    }

    /// <summary>probabilities[member][image]: each member's softmax probability of the explained class (the label) on each explained image.</summary>
    public static double[][] MemberProbabilities(RunData run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var factory = FaithfulnessRunner.Factory(run);
        var size = run.Test.Size;
        var (pixels, classes) = run.ExplainedImages();
        var labels = Array.ConvertAll(classes, c => (long)c);

        var result = new double[run.Members][];
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        var x = TorchSharp.torch.tensor(pixels, [run.Chosen.Length, 3, size, size]);
        var y = TorchSharp.torch.tensor(labels).unsqueeze(1);
        for (var m = 0; m < run.Members; m++)
        {
            using var model = Chorus.Torch.Training.EnsembleTrainer.LoadMember(factory, run.Layout.Run, m);
            var probabilities = new List<double>();
            for (var start = 0; start < run.Chosen.Length; start += StudySettings.ExplainBatch)
            {
                using var inner = TorchSharp.torch.NewDisposeScope();
                var count = Math.Min(StudySettings.ExplainBatch, run.Chosen.Length - start);
                var p = model.Forward(x.narrow(0, start, count)).softmax(1).gather(1, y.narrow(0, start, count)).squeeze(1);
                probabilities.AddRange(p.to_type(TorchSharp.torch.ScalarType.Float64).data<double>().ToArray());
            }

            result[m] = [.. probabilities];
        }

        return result;
    }
}
