using System.Globalization;
using Spectre.Console;

namespace Chorus.Cli.Pipeline;

/// <summary>Prints the study's table: part | method | Ens-Avg | Exp-Avg for each metric, mean ± std across images.</summary>
public static class StudyTable
{
    private static readonly Dictionary<string, string> Titles = new(StringComparer.Ordinal)
    {
        ["com_distance"] = "CoM↓",
        ["com_distance_px"] = "CoM px↓",
        ["pearson"] = "corr↑",
    };

    /// <summary>Writes the table and a legend to <paramref name="console"/>.</summary>
    public static void Write(IAnsiConsole console, StudyOutcome outcome)
    {
        // Sized to fit an 80-column terminal: part (5) + method (20) + 4 × 11 + padding.
        var table = new Table().Border(TableBorder.None).Title("[bold]Ens-Avg vs Exp-Avg[/] (mean±std across images)");
        table.AddColumn(new TableColumn("part").NoWrap().Padding(0, 0, 2, 0));
        table.AddColumn(new TableColumn("method").NoWrap().Padding(0, 0, 2, 0));
        foreach (var metric in outcome.Metrics)
        {
            var title = Titles.GetValueOrDefault(metric, metric);
            table.AddColumn(new TableColumn($"{title} Ens").RightAligned().NoWrap().Padding(0, 0, 2, 0));
            table.AddColumn(new TableColumn($"{title} Exp").RightAligned().NoWrap().Padding(0, 0, 2, 0));
        }

        table.Columns[^1].Padding(0, 0, 0, 0);

        string? lastPart = null;
        foreach (var cell in outcome.Cells.OrderBy(c => c.Part, StringComparer.Ordinal).ThenBy(c => IndexOf(outcome, c)))
        {
            var row = new List<string> { cell.Part == lastPart ? "" : cell.Part, cell.Method };
            lastPart = cell.Part;
            foreach (var metric in outcome.Metrics)
            {
                var m = cell.Result[metric];
                var ens = m.EnsSummary;
                var exp = m.ExpSummary;
                var ensBetter = m.HigherIsBetter ? ens.Mean > exp.Mean : ens.Mean < exp.Mean;
                row.Add(Format(ens.Mean, ens.Std, ensBetter));
                row.Add(Format(exp.Mean, exp.Std, !ensBetter));
            }

            table.AddRow(row.ToArray());
        }

        console.Write(table);
        foreach (var part in outcome.Cells.GroupBy(c => c.Part, StringComparer.Ordinal))
        {
            var first = part.First().Result;
            console.MarkupLine($"[grey]{Markup.Escape(part.Key)}: {first.ImageIds.Count} images scored{(first.ImagesNotVisible > 0 ? $", {first.ImagesNotVisible} left out (part not visible)" : "")}.[/]");
        }

        console.MarkupLine("[grey]CoM: distance between the map's centre of mass (relevance clipped at 0) and the part's, divided by the image diagonal. " +
            "corr: Pearson r between the map and the part's 0/1 mask. Ens-Avg: metric of the members' mean map; Exp-Avg: mean over members of each member's metric. Bold: the better of the two.[/]");
        var accs = outcome.Members.Select(m => m.TestAccuracy).ToList();
        console.MarkupLine($"Members: {accs.Count}, test accuracy {accs.Average():P1} (min {accs.Min():P1}, max {accs.Max():P1}).");
    }

    private static int IndexOf(StudyOutcome outcome, StudyCell cell) =>
        outcome.Cells.Select(c => c.Method).Distinct().ToList().IndexOf(cell.Method);

    private static string Format(double mean, double std, bool bold)
    {
        if (double.IsNaN(mean))
        {
            return "–";
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"{mean:F3}±{std:F3}");
        return bold ? $"[bold green]{text}[/]" : text;
    }
}
