using System.ComponentModel;
using System.Globalization;
using Chorus.Cli.Rendering;
using Chorus.Study;
using Chorus.Torch.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>Options of <c>chorus compare</c>: the study's, plus the one-model sources to set beside the ensemble.</summary>
public sealed class CompareSettings : StudyCommandSettings
{
    [CommandOption("--sources <LIST>")]
    [Description("One-model map sources, each making as many maps per image as the ensemble has members from member 0 alone: smoothgrad (input noise, σ = 15 % of the image's range), noisegrad (weights × N(1, 0.2²)), fusiongrad (both), tta (test-time augmentation: horizontal flips × zooms 0.9, 1, 1.1 about the centre, each map mapped back to the original image), mc-dropout (one fixed dropout mask per map on the head's input; needs a study trained with --dropout P). Default: all that apply (mc-dropout only with --dropout); 'none' for the rules and controls only.")]
    public string? Sources { get; init; }

    [CommandOption("--ensembles <LIST>")]
    [Description("Cheaper ensemble kinds set beside the independent ensemble, each trained and explained as its own study in OUT/ensembles/KIND on the same data and images (source ensemble:KIND): snapshot, multi-head, frozen-trunk (see --ensemble). Default: all three; 'none' for none.")]
    public string? Ensembles { get; init; }

    [CommandOption("--randomisation")]
    [Description("Also run the model-parameter randomisation test (Adebayo et al. 2018): every member with its layers randomised from the output down, cascading (every depth up to 10 layers), explains the first --randomisation-images explained images; randomisation.csv and a table give the Spearman correlation of the randomised maps with the trained ones, for single members and for Ens-Avg (low: the explanation follows the model).")]
    public bool Randomisation { get; init; }

    [CommandOption("--randomisation-images <N>")]
    [Description("Images of the randomisation test. Default 16.")]
    [DefaultValue(StudyRunner.RandomisationImages)]
    public int RandomisationImages { get; init; } = StudyRunner.RandomisationImages;

    /// <summary>The sources asked for.</summary>
    public IReadOnlyList<MapSource> SourceList => Sources is null ? MapSources.Defaults(Dropout ?? 0)
        : Sources.Trim() == "none" ? []
        : [.. Sources.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(MapSources.Parse)];

    /// <summary>The ensemble kinds asked for (independent, the reference, is always there).</summary>
    public IReadOnlyList<EnsembleKind> KindList => Ensembles is null ? [.. EnsembleKinds.All.Where(k => k != EnsembleKind.Independent)]
        : Ensembles.Trim() == "none" ? []
        : [.. Ensembles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(EnsembleKinds.Parse).Distinct()];

    public override ValidationResult Validate()
    {
        try
        {
            if (Ensemble is not null && EnsembleKinds.Parse(Ensemble) != EnsembleKind.Independent)
            {
                return ValidationResult.Error("--ensemble: compare's reference is the independent ensemble; give the other kinds with --ensembles.");
            }

            _ = KindList;
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error($"--ensembles: {e.Message}");
        }

        if (MembersRange is not null)
        {
            return ValidationResult.Error("--members-range: compare needs the whole ensemble.");
        }

        if (RandomisationImages < 1)
        {
            return ValidationResult.Error("--randomisation-images must be at least 1.");
        }

        try
        {
            if (SourceList.Contains(MapSource.McDropout) && !(Dropout > 0))
            {
                return ValidationResult.Error("--sources mc-dropout needs members trained with dropout: add --dropout P (0 < P < 1, e.g. 0.2), in a new --out folder for a study trained without it.");
            }
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error($"--sources: {e.Message}");
        }

        return base.Validate();
    }
}

/// <summary>
/// <c>chorus compare</c>: the study (resumed when done), then every map source × aggregation rule and the controls against
/// plain Ens-Avg, with their cost: compare.csv and compare.svg.
/// </summary>
public sealed class CompareCommand(IAnsiConsole console) : Command<CompareSettings>
{
    public override int Execute(CommandContext context, CompareSettings settings, CancellationToken cancellationToken)
    {
        var study = settings.ToStudySettings();
        console.Write(new Rule("[bold]Chorus compare[/]: map sources × aggregation rules × controls, against plain Ens-Avg").LeftJustified());
        var rows = StudyCompareStage.Run(study, settings.SourceList, settings.KindList, new SpectreStudyReporter(console), cancellationToken);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("source", "rule", "better than plain Ens-Avg", "significantly better", "significantly worse", "train s", "explain s");
        foreach (var row in StudyComparison.Summary(rows))
        {
            var plain = (row.Source, row.Rule) is ("ensemble", "mean");
            table.AddRow(
                Markup.Escape(row.Source),
                Markup.Escape(row.Rule),
                plain ? "[grey](the reference)[/]" : string.Create(CultureInfo.InvariantCulture, $"{row.Better} of {row.Total}"),
                plain ? "" : row.SignificantlyBetter.ToString(CultureInfo.InvariantCulture),
                plain ? "" : row.SignificantlyWorse.ToString(CultureInfo.InvariantCulture),
                Seconds(row.TrainSeconds),
                Seconds(row.ExplainSeconds));
        }

        console.Write(table);
        if (settings.Randomisation)
        {
            var randomisation = new StudyRunner(new SpectreStudyReporter(console), study).RandomisationTest(settings.RandomisationImages, cancellationToken);
            var depths = randomisation.Select(r => r.Top).Distinct().Order().ToList();
            var grid = new Table().Border(TableBorder.Rounded).Title("Spearman(randomised map, trained map): Ens-Avg / single member; lower = the explanation follows the model");
            grid.AddColumn("method");
            foreach (var d in depths)
            {
                grid.AddColumn(Markup.Escape($"top {d}: {randomisation.First(r => r.Top == d).Layer}"));
            }

            foreach (var method in randomisation.Select(r => r.Method).Distinct())
            {
                grid.AddRow([Markup.Escape(method), .. depths.Select(d => randomisation.First(r => r.Method == method && r.Top == d)).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Ensemble.Mean:F2} / {r.Single.Mean:F2}"))]);
            }

            console.Write(grid);
        }

        console.MarkupLine($"Wrote {(settings.Randomisation ? "randomisation.csv, " : "")}compare.csv (per source × rule × method × part × metric: mean, CI, the paired difference with plain Ens-Avg and its Wilcoxon p, cost) and compare.svg (quality against cost, Pareto front in red) to [blue]{Markup.Escape(Path.GetFullPath(study.Out))}[/].");
        return 0;
    }

    private static string Seconds(double s) => double.IsFinite(s) ? s.ToString("F1", CultureInfo.InvariantCulture) : "–";
}
