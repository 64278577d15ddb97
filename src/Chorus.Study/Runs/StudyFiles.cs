using System.Globalization;
using System.Text;
using Chorus.Data.Loading;
using Chorus.Evaluation;
using Chorus.IO;
using Chorus.Statistics;

namespace Chorus.Study;

/// <summary>
/// Writes a study's <c>results.csv</c> (Ens-Avg and Exp-Avg per part × method × metric with std, bootstrap 95% CI
/// and the Wilcoxon p of the paired difference), <c>per_image.csv</c> and <c>summary.json</c>, atomically.
/// </summary>
public static class StudyFiles
{
    /// <summary>Computes the comparisons (bootstrap seeded with <paramref name="seed"/>) and writes the three files.</summary>
    public static IReadOnlyList<MetricComparison> Write(string folder, StudyOutcome outcome, long seed, string aggregator)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var bootstrap = new BootstrapOptions(Seed: unchecked((int)seed));
        var comparisons = outcome.Cells
            .SelectMany(c => ResultTables.CompareAll(c.Part, c.Method, c.Result, bootstrap))
            .Where(c => outcome.Metrics.Contains(c.Metric))
            .ToList();
        Write(folder, comparisons, outcome.Cells.SelectMany(c => ResultTables.ToPerImageRows(c.Part, c.Method, c.Result)), outcome.Members.Count, aggregator, bootstrap);
        return comparisons;
    }

    /// <summary>The one writer of <c>results.csv</c>, <c>per_image.csv</c> and <c>summary.json</c> (its aggregator named).</summary>
    public static void Write(string folder, IReadOnlyList<MetricComparison> comparisons, IEnumerable<PerImageRow> perImage, int members, string aggregator, BootstrapOptions bootstrap)
    {
        var layout = new RunLayout(folder);
        ResultsCsv.Write(layout.Results, comparisons.SelectMany(ResultTables.ToResultRows));
        PerImageCsv.Write(layout.PerImage, perImage);
        SummaryJson.Write(layout.Summary, new RunSummary(RunSummary.CurrentSchema, members, aggregator, bootstrap, comparisons));
    }

    /// <summary>Writes the images left out (<c>image_id,path,reason</c>; the id is empty when unknown) to <paramref name="path"/>, atomically; a header only when none.</summary>
    public static void WriteSkipped(string path, IReadOnlyList<SkippedImage> skipped)
    {
        ArgumentNullException.ThrowIfNull(skipped);
        var text = new StringBuilder("image_id,path,reason\n");
        foreach (var s in skipped)
        {
            text.Append(s.ImageId >= 0 ? s.ImageId.ToString(CultureInfo.InvariantCulture) : "").Append(',')
                .Append(Quote(s.Path)).Append(',').Append(Quote(s.Reason)).Append('\n');
        }

        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>A CSV field, quoted (RFC 4180) when it holds a comma, quote or line break.</summary>
    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
