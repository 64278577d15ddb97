using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Chorus.Cli.Infrastructure;
using Chorus.Study;
using Chorus.Metrics;
using Chorus.Torch.Faithfulness;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>Options of <c>chorus evaluate</c> and <c>chorus report</c>: which run folder, and where its dataset is.</summary>
public class RunFolderSettings : CommandSettings
{
    [CommandOption("-r|--run <DIR>")]
    [Description("A finished run folder (the --out of `chorus demo`).")]
    public string Run { get; init; } = "";

    [CommandOption("--data <DIR>")]
    [Description("The run's dataset, when it has moved (default: the one the manifest names, or RUN/data).")]
    public string? Data { get; init; }

    [CommandOption("--orders <N>")]
    [Description("Random member orders of the ensemble-size curve (seeded with the run's seed). Default 10.")]
    [DefaultValue(RunOutputs.DefaultOrders)]
    public int Orders { get; init; } = RunOutputs.DefaultOrders;

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Run) ? ValidationResult.Error("--run is required.")
        : Orders < 1 ? ValidationResult.Error("--orders must be at least 1.")
        : ValidationResult.Success();
}

/// <summary>Options of <c>chorus evaluate</c>.</summary>
public sealed class EvaluateSettings : RunFolderSettings
{
    [CommandOption("--metrics <LIST>")]
    [Description("Comma-separated metrics, 'all' for every registered one, or 'run' for those the run's own study scored (its manifest; what `chorus slurm submit`'s merge uses). Default: the study's nine (com_distance, pearson, spearman, iou, pointing_game, relevance_mass, relevance_rank, topk_intersection, auc).")]
    public string? Metrics { get; init; }

    [CommandOption("--aggregate <RULE>")]
    [Description("Re-score the saved maps with another aggregation rule (no map is recomputed): mean, median, trimmed-mean, crh or agg-var, optionally followed by +max-abs, +sum, +rank or +second-moment (crh, agg-var: +none for raw maps). Default: the run's own (its manifest's Aggregate; mean for older runs). results.csv and summary.json name the rule.")]
    public string? Aggregate { get; init; }

    [CommandOption("--controls")]
    [Description("Also score two controls against Ens-Avg and write controls.csv: smoothing (each member's own map blurred with a Gaussian whose σ per method makes the members' spatial autocorrelation match the ensemble map's; σ fitted on maps only, never regions: on every member's maps of 16 training images when `chorus compare` has made them (OUT/controls/train), otherwise cross-fitted over two halves of the explained images) and centre-prior (one Gaussian at the image centre, σ = a quarter of the side). If Ens-Avg beats the smoothing control, averaging does more than smoothing.")]
    public bool Controls { get; init; }

    [CommandOption("--faithfulness")]
    [Description("Also compute deletion and insertion AUCs (Ens-Avg vs Exp-Avg) by running the members' checkpoints under RUN/run/members; writes faithfulness.csv, faithfulness_per_image.csv, faithfulness_curves.csv.")]
    public bool Faithfulness { get; init; }

    [CommandOption("--faithfulness-steps <N>")]
    [Description("Steps of the deletion/insertion curves (ceil(H·W/N) pixels per step). Default 8.")]
    [DefaultValue(FaithfulnessRunner.DefaultSteps)]
    public int FaithfulnessSteps { get; init; } = FaithfulnessRunner.DefaultSteps;

    [CommandOption("--faithfulness-images <N>")]
    [Description("Score the first N explained images (0 = all). Default 50: faithfulness runs every member on every perturbed image.")]
    [DefaultValue(FaithfulnessRunner.DefaultImages)]
    public int FaithfulnessImages { get; init; } = FaithfulnessRunner.DefaultImages;

    [CommandOption("--faithfulness-baseline <NAME>")]
    [Description("What deleted pixels become and what insertion starts from: blur (box 9, default), mean (per-image channel mean) or zeros.")]
    [DefaultValue("blur")]
    public string FaithfulnessBaseline { get; init; } = "blur";

    /// <summary><c>--metrics run</c>: the metrics the run's own study scored (its manifest), as a merge of member ranges does.</summary>
    public bool UseRunMetrics => Metrics?.Trim() == "run";

    /// <summary>The metric names asked for.</summary>
    public IReadOnlyList<string> MetricNames => Metrics is null || UseRunMetrics ? MetricRegistry.DefaultNames
        : Metrics.Trim() == "all" ? [.. MetricRegistry.Names]
        : Metrics.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override ValidationResult Validate()
    {
        var baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        if (FaithfulnessSteps < 1)
        {
            return ValidationResult.Error("--faithfulness-steps must be at least 1.");
        }

        if (FaithfulnessImages < 0)
        {
            return ValidationResult.Error("--faithfulness-images must be 0 (all) or more.");
        }

        if (FaithfulnessBaseline is not ("blur" or "mean" or "zeros"))
        {
            return ValidationResult.Error($"--faithfulness-baseline: unknown baseline '{FaithfulnessBaseline}'. Known: blur, mean, zeros.");
        }

        if (Aggregate is not null)
        {
            try
            {
                _ = Chorus.Ensembles.EnsembleAggregator.Parse(Aggregate);
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error($"--aggregate: {e.Message}");
            }
        }

        var unknown = MetricNames.FirstOrDefault(m => !MetricRegistry.Names.Contains(m));
        return unknown is not null
            ? ValidationResult.Error($"--metrics: unknown metric '{unknown}'. Known: {string.Join(", ", MetricRegistry.Names)}.")
            : MetricNames.Count == 0 ? ValidationResult.Error("--metrics: no metric given.") : ValidationResult.Success();
    }
}

/// <summary>
/// <c>chorus evaluate</c>: recomputes results.csv, per_image.csv, curves.csv and summary.json from a run's saved maps; with
/// <c>--faithfulness</c> also the deletion/insertion AUCs (see <see cref="FaithfulnessRunner"/>).
/// </summary>
public sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateSettings>
{
    public override int Execute(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var run = RunFolder.Load(settings.Run, settings.Data, n => console.MarkupLine($"[yellow]note:[/] {Markup.Escape(n)}"));
        if (settings.Aggregate is not null)
        {
            var rule = Chorus.Ensembles.EnsembleAggregator.Parse(settings.Aggregate);
            console.MarkupLine($"Aggregation: [bold]{Markup.Escape(rule.Name)}[/] (the run used {Markup.Escape(run.Aggregator.Name)}).");
            run = run with { Aggregator = rule };
        }

        var loaded = clock.Elapsed.TotalSeconds;
        var metrics = settings.UseRunMetrics
            ? StudyStages.RecordedMetrics(run) ?? throw new ArgumentException($"--metrics run: {Path.Combine(settings.Run, "manifest.json")} records no metrics; name them.")
            : settings.MetricNames;
        console.MarkupLine($"Run: {run.Methods.Count} methods × {run.Members} members × {run.Chosen.Length} images; {metrics.Count} metrics.");
        if (run.BelowBaselineWarning is { } warning)
        {
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        var comparisons = RunOutputs.Evaluate(run, metrics);
        var evaluated = clock.Elapsed.TotalSeconds;
        RunOutputs.Curves(run, metrics, settings.Orders);
        var ensBetter = comparisons.Count(c => double.IsFinite(c.Ens.Mean) && double.IsFinite(c.Exp.Mean) && c.Ens.Mean != c.Exp.Mean && (c.Ens.Mean > c.Exp.Mean) == c.HigherIsBetter);
        console.MarkupLine($"Ens-Avg has the better mean in {ensBetter} of {comparisons.Count} part × method × metric comparisons.");
        var curved = clock.Elapsed.TotalSeconds;
        if (settings.Controls)
        {
            PrintControls(console, RunOutputs.Controls(run, metrics));
            curved = clock.Elapsed.TotalSeconds;
        }

        var faithfulness = "";
        if (settings.Faithfulness)
        {
            Faithfulness(console, run, FaithfulnessRunner.Options(settings.FaithfulnessSteps, settings.FaithfulnessBaseline), settings.FaithfulnessImages, cancellationToken);
            faithfulness = string.Create(CultureInfo.InvariantCulture, $", faithfulness {clock.Elapsed.TotalSeconds - curved:F1} s");
        }

        console.MarkupLine($"Wrote results.csv, per_image.csv, curves.csv{(settings.Controls ? ", controls.csv" : "")}{(settings.Faithfulness ? ", faithfulness*.csv" : "")} and summary.json to [blue]{Markup.Escape(Path.GetFullPath(settings.Run))}[/] "
            + string.Create(CultureInfo.InvariantCulture, $"in {clock.Elapsed.TotalSeconds:F1} s (load {loaded:F1} s, evaluate {evaluated - loaded:F1} s, curves {curved - evaluated:F1} s{faithfulness})."));
        return 0;
    }

    /// <summary>Per method and control: in how many part × metric comparisons Ens-Avg has the better mean, and how many with p &lt; 0.05.</summary>
    internal static void PrintControls(IAnsiConsole console, IReadOnlyList<Chorus.Evaluation.ControlComparison> rows)
    {
        var table = new Table().AddColumns("method", "Ens-Avg beats smoothing control", "σ px (even/odd)", "Ens-Avg beats centre prior");
        foreach (var method in rows.Select(r => r.Comparison.Method).Distinct())
        {
            string Count(string control)
            {
                var mine = rows.Where(r => r.Comparison.Method == method && r.Control == control).ToList();
                var better = mine.Count(r => r.EnsBetter);
                var significant = mine.Count(r => r.EnsBetter && r.Comparison.Wilcoxon.PValue < 0.05);
                return string.Create(CultureInfo.InvariantCulture, $"{better} of {mine.Count} ({significant} with p < 0.05)");
            }

            var sigma = rows.First(r => r.Comparison.Method == method && r.Control == "smoothing").Parameters.Split(' ')[0].Replace("sigma_px=", "", StringComparison.Ordinal);
            table.AddRow(Markup.Escape(method), Count("smoothing"), Markup.Escape(sigma), Count("centre-prior"));
        }

        console.Write(table);
    }

    /// <summary>Computes and writes faithfulness for <paramref name="run"/> with a progress bar, then prints its table.</summary>
    internal static void Faithfulness(IAnsiConsole console, RunData run, FaithfulnessOptions options, int images, CancellationToken cancellationToken)
    {
        var comparisons = StudyRunner.RunFaithfulness(new Rendering.SpectreStudyReporter(console), run, options, images, cancellationToken);
        PrintFaithfulness(console, run.Methods, options, comparisons);
    }

    /// <summary>The faithfulness table: deletion and insertion AUCs, Ens-Avg vs Exp-Avg, per method.</summary>
    internal static void PrintFaithfulness(IAnsiConsole console, IReadOnlyList<string> methods, FaithfulnessOptions options, IReadOnlyList<Chorus.Evaluation.MetricComparison> comparisons)
    {
        var table = new Table().AddColumns("method", "deletion AUC↓ Ens", "Exp", "p", "insertion AUC↑ Ens", "Exp", "p");
        foreach (var method in methods)
        {
            var del = comparisons.First(c => c.Method == method && c.Metric == FaithfulnessRunner.DeletionMetric);
            var ins = comparisons.First(c => c.Method == method && c.Metric == FaithfulnessRunner.InsertionMetric);
            table.AddRow(Markup.Escape(method), Num(del.Ens.Mean), Num(del.Exp.Mean), Num(del.Wilcoxon.PValue), Num(ins.Ens.Mean), Num(ins.Exp.Mean), Num(ins.Wilcoxon.PValue));
        }

        console.Write(table);
        console.MarkupLine($"[grey]Faithfulness: {Markup.Escape(options.Steps.ToString(CultureInfo.InvariantCulture))} steps, deletion baseline {Markup.Escape(options.DeletionBaselineOrDefault.ToString())}, insertion baseline {Markup.Escape(options.InsertionBaselineOrDefault.ToString())}, target-class probability.[/]");
    }

    private static string Num(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "–";
}
