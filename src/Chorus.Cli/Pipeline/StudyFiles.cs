using System.Globalization;
using System.Text;
using Chorus.IO;

namespace Chorus.Cli.Pipeline;

/// <summary>Writes a study's <c>results.csv</c> and <c>per_image.csv</c> (atomically, invariant culture).</summary>
public static class StudyFiles
{
    /// <summary>Writes both files into <paramref name="folder"/>.</summary>
    public static void Write(string folder, StudyOutcome outcome, long seed)
    {
        _ = seed;
        var results = new StringBuilder("part,method,metric,aggregate,mean,std,n_images,n_excluded,higher_is_better\n");
        var perImage = new StringBuilder("image_id,part,method,metric,ens_avg,exp_avg\n");
        foreach (var cell in outcome.Cells)
        {
            foreach (var metric in outcome.Metrics)
            {
                var m = cell.Result[metric];
                foreach (var (name, s) in new[] { ("ens_avg", m.EnsSummary), ("exp_avg", m.ExpSummary) })
                {
                    results.Append(CultureInfo.InvariantCulture, $"{cell.Part},{cell.Method},{metric},{name},{F(s.Mean)},{F(s.Std)},{s.ImagesUsed},{cell.Result.ImagesNotVisible},{(m.HigherIsBetter ? "true" : "false")}\n");
                }

                for (var i = 0; i < m.Ens.Count; i++)
                {
                    perImage.Append(CultureInfo.InvariantCulture, $"{cell.Result.ImageIds[i]},{cell.Part},{cell.Method},{metric},{F(m.Ens[i])},{F(m.Exp[i])}\n");
                }
            }
        }

        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), results.ToString());
        AtomicFile.WriteAllText(Path.Combine(folder, "per_image.csv"), perImage.ToString());
    }

    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
}
