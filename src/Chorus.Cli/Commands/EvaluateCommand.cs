using System.ComponentModel;
using System.Diagnostics;
using Chorus.Cli.Pipeline;
using Chorus.Metrics;
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
    [Description("Comma-separated metrics, or 'all' for every registered one. Default: the study's nine (com_distance, pearson, spearman, iou, pointing_game, relevance_mass, relevance_rank, topk_intersection, auc).")]
    public string? Metrics { get; init; }

    /// <summary>The metric names asked for.</summary>
    public IReadOnlyList<string> MetricNames => Metrics is null ? MetricRegistry.DefaultNames
        : Metrics.Trim() == "all" ? [.. MetricRegistry.Names]
        : Metrics.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override ValidationResult Validate()
    {
        var baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        var unknown = MetricNames.FirstOrDefault(m => !MetricRegistry.Names.Contains(m));
        return unknown is not null
            ? ValidationResult.Error($"--metrics: unknown metric '{unknown}'. Known: {string.Join(", ", MetricRegistry.Names)}.")
            : MetricNames.Count == 0 ? ValidationResult.Error("--metrics: no metric given.") : ValidationResult.Success();
    }
}

/// <summary><c>chorus evaluate</c>: recomputes results.csv, per_image.csv, curves.csv and summary.json from a run's saved maps.</summary>
public sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateSettings>
{
    public override int Execute(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var run = RunFolder.Load(settings.Run, settings.Data, n => console.MarkupLine($"[yellow]note:[/] {Markup.Escape(n)}"));
        var loaded = clock.Elapsed.TotalSeconds;
        var metrics = settings.MetricNames;
        console.MarkupLine($"Run: {run.Methods.Count} methods × {run.Members} members × {run.Chosen.Length} images; {metrics.Count} metrics.");
        var comparisons = RunOutputs.Evaluate(run, metrics);
        var evaluated = clock.Elapsed.TotalSeconds;
        RunOutputs.Curves(run, metrics, settings.Orders);
        var ensBetter = comparisons.Count(c => double.IsFinite(c.Ens.Mean) && double.IsFinite(c.Exp.Mean) && c.Ens.Mean != c.Exp.Mean && (c.Ens.Mean > c.Exp.Mean) == c.HigherIsBetter);
        console.MarkupLine($"Ens-Avg has the better mean in {ensBetter} of {comparisons.Count} part × method × metric comparisons.");
        console.MarkupLine($"Wrote results.csv, per_image.csv, curves.csv and summary.json to [blue]{Markup.Escape(Path.GetFullPath(settings.Run))}[/] "
            + $"in {clock.Elapsed.TotalSeconds:F1} s (load {loaded:F1} s, evaluate {evaluated - loaded:F1} s, curves {clock.Elapsed.TotalSeconds - evaluated:F1} s).");
        return 0;
    }
}
