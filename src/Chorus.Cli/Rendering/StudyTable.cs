using System.Globalization;
using Chorus.Study;
using Spectre.Console;

namespace Chorus.Cli.Rendering;

/// <summary>
/// Prints the study's table: part | method | Ens-Avg | Exp-Avg for each metric, mean ± std across images. The metrics
/// are spread over as many tables as needed for each to fit <see cref="MaxWidth"/> columns (two metrics per table
/// with the default names).
/// </summary>
public static class StudyTable
{
    /// <summary>The widest a table may be, in terminal columns.</summary>
    public const int MaxWidth = 80;

    private static readonly Dictionary<string, string> Titles = new(StringComparer.Ordinal)
    {
        ["com_distance"] = "CoM↓",
        ["com_distance_px"] = "CoM px↓",
        ["pearson"] = "corr↑",
        ["iou"] = "IoU↑",
    };

    private static readonly Dictionary<string, string> Legends = new(StringComparer.Ordinal)
    {
        ["com_distance"] = "CoM: distance between the map's centre of mass (relevance clipped at 0) and the region's, divided by the image diagonal.",
        ["com_distance_px"] = "CoM px: distance between the map's centre of mass (relevance clipped at 0) and the region's, in pixels.",
        ["pearson"] = "corr: Pearson r between the map and the region's 0/1 mask.",
        ["iou"] = "IoU: intersection over union of the region and the map thresholded at 0.5 after min–max scaling.",
    };

    /// <summary>Writes the table(s) and a legend to <paramref name="console"/>.</summary>
    public static void Write(IAnsiConsole console, StudyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(outcome);
        var methods = outcome.Cells.Select(c => c.Method).Distinct().ToList();
        var cells = outcome.Cells.OrderBy(c => c.Part, StringComparer.Ordinal).ThenBy(c => methods.IndexOf(c.Method)).ToList();
        var partWidth = cells.Select(c => c.Part.Length).Append("part".Length).Max();
        var methodWidth = cells.Select(c => c.Method.Length).Append("method".Length).Max();

        // Every value and title of each metric, to size its two columns.
        var values = outcome.Metrics.ToDictionary(m => m, m => cells.Select(c => Values(c, m)).ToList(), StringComparer.Ordinal);
        var width = outcome.Metrics.ToDictionary(
            m => m,
            m => values[m].SelectMany(v => new[] { v.Ens.Length, v.Exp.Length }).Append(Title(outcome, m).Length + " Ens".Length).Max(),
            StringComparer.Ordinal);

        // Two spaces between columns, or one when that saves a table.
        var gap = 2;
        var groups = Group(outcome.Metrics, width, partWidth + 1 + methodWidth, gap);
        if (Group(outcome.Metrics, width, partWidth + 1 + methodWidth, 1).Count < groups.Count)
        {
            gap = 1;
            groups = Group(outcome.Metrics, width, partWidth + 1 + methodWidth, gap);
        }

        for (var g = 0; g < groups.Count; g++)
        {
            var title = "[bold]Ens-Avg vs Exp-Avg[/] (mean±std across images)" + (groups.Count > 1 ? $" {g + 1}/{groups.Count}" : "");
            var table = new Table().Border(TableBorder.None).Title(title);
            table.AddColumn(new TableColumn("part").NoWrap().Padding(0, 0, 1, 0));
            table.AddColumn(new TableColumn("method").NoWrap().Padding(0, 0, gap, 0));
            foreach (var metric in groups[g])
            {
                var t = Title(outcome, metric);
                table.AddColumn(new TableColumn($"{t} Ens").RightAligned().NoWrap().Padding(0, 0, gap, 0));
                table.AddColumn(new TableColumn($"{t} Exp").RightAligned().NoWrap().Padding(0, 0, gap, 0));
            }

            string? lastPart = null;
            for (var r = 0; r < cells.Count; r++)
            {
                var cell = cells[r];
                var row = new List<string> { cell.Part == lastPart ? "" : Markup.Escape(cell.Part), Markup.Escape(cell.Method) };
                lastPart = cell.Part;
                foreach (var metric in groups[g])
                {
                    var v = values[metric][r];
                    row.Add(v.EnsBetter ? $"[bold green]{v.Ens}[/]" : v.Ens);
                    row.Add(v.ExpBetter ? $"[bold green]{v.Exp}[/]" : v.Exp);
                }

                table.AddRow([.. row]);
            }

            // Spectre pads cells on the right only in a borderless table; the last column needs none.
            table.Columns[^1].Padding(0, 0, 0, 0);

            console.Write(table);
        }

        foreach (var part in outcome.Cells.GroupBy(c => c.Part, StringComparer.Ordinal))
        {
            var first = part.First().Result;
            console.MarkupLine($"[grey]{Markup.Escape(part.Key)}: {first.ImageIds.Count} images scored{(first.ImagesNotVisible > 0 ? $", {first.ImagesNotVisible} left out (part not visible)" : "")}.[/]");
        }

        var legend = outcome.Metrics.Select(m => Legends.GetValueOrDefault(m)).OfType<string>();
        console.MarkupLine("[grey]" + Markup.Escape(string.Join(" ", legend.Append(
            "Ens-Avg: metric of the members' mean map; Exp-Avg: mean over members of each member's metric. Bold: the better of the two."))) + "[/]");
        var accs = outcome.Members.Select(m => m.TestAccuracy).ToList();
        if (accs.Count > 0)
        {
            var baseline = outcome.Baseline is { } b ? $"; baseline (majority class) {b.MajorityRate:P1}" : "";
            console.MarkupLine($"Members: {accs.Count}, test accuracy {accs.Average():P1} (min {accs.Min():P1}, max {accs.Max():P1}){baseline}.");
            if (outcome.Baseline is { } bl && StudyRunner.BelowBaseline(outcome.Members, bl) is { Count: > 0 } below)
            {
                console.MarkupLine($"[yellow]Marked: {Markup.Escape(StudyRunner.DescribeBelow(below, bl))} The table above includes them.[/]");
            }
        }
    }

    /// <summary>Splits <paramref name="metrics"/> into runs whose columns (two per metric, each preceded by <paramref name="gap"/> spaces) fit <see cref="MaxWidth"/> after <paramref name="lead"/> columns.</summary>
    private static List<List<string>> Group(IReadOnlyList<string> metrics, Dictionary<string, int> width, int lead, int gap)
    {
        var groups = new List<List<string>>();
        var used = lead;
        foreach (var metric in metrics)
        {
            var extra = 2 * (width[metric] + gap);
            if (groups.Count == 0 || used + extra > MaxWidth)
            {
                groups.Add([]);
                used = lead;
            }

            groups[^1].Add(metric);
            used += extra;
        }

        return groups;
    }

    /// <summary>The column title of a metric: its short name and ↑ or ↓.</summary>
    private static string Title(StudyOutcome outcome, string metric)
    {
        if (Titles.TryGetValue(metric, out var title))
        {
            return title;
        }

        var higher = outcome.Cells.Select(c => c.Result[metric].HigherIsBetter).FirstOrDefault(true);
        return metric + (higher ? "↑" : "↓");
    }

    private static (string Ens, string Exp, bool EnsBetter, bool ExpBetter) Values(StudyCell cell, string metric)
    {
        var m = cell.Result[metric];
        var ens = m.EnsSummary;
        var exp = m.ExpSummary;
        var comparable = double.IsFinite(ens.Mean) && double.IsFinite(exp.Mean) && ens.Mean != exp.Mean;
        var ensBetter = comparable && (m.HigherIsBetter ? ens.Mean > exp.Mean : ens.Mean < exp.Mean);
        return (Format(ens.Mean, ens.Std), Format(exp.Mean, exp.Std), ensBetter, comparable && !ensBetter);
    }

    private static string Format(double mean, double std) =>
        double.IsNaN(mean) ? "–" : string.Create(CultureInfo.InvariantCulture, $"{mean:F3}±{std:F3}");
}
