using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Evaluation;
using Chorus.IO;
using static Chorus.Reports.Html.HtmlText;

namespace Chorus.Reports.Html;

/// <summary>One figure of a method's gallery: a PNG (embedded as a data: URI) and its caption.</summary>
public sealed record GalleryFigure(string Method, string Caption, byte[] Png);

/// <summary>Everything the report shows; all strings are data and are escaped when rendered.</summary>
public sealed record ReportModel
{
    /// <summary>Page title (e.g. the run folder's name).</summary>
    public required string Title { get; init; }

    /// <summary>results.csv rows (ens_avg and exp_avg per part × method × metric).</summary>
    public required IReadOnlyList<ResultRow> Results { get; init; }

    /// <summary>per_image.csv rows.</summary>
    public required IReadOnlyList<PerImageRow> PerImage { get; init; }

    /// <summary>curves.csv rows.</summary>
    public required IReadOnlyList<CurveRow> Curves { get; init; }

    /// <summary>Figures per method, in display order.</summary>
    public IReadOnlyList<GalleryFigure> Gallery { get; init; } = [];

    /// <summary>faithfulness.csv rows (part <c>image</c>, metrics deletion_auc and insertion_auc), or empty when not computed.</summary>
    public IReadOnlyList<ResultRow> Faithfulness { get; init; } = [];

    /// <summary>faithfulness_curves.csv rows (mean deletion/insertion curves), or empty.</summary>
    public IReadOnlyList<FaithfulnessCurveRow> FaithfulnessCurves { get; init; } = [];

    /// <summary>The run's manifest.json, or null.</summary>
    public JsonNode? Manifest { get; init; }

    /// <summary><c>chorus compare</c>'s results (compare.csv summarised), or null when the run was not compared.</summary>
    public ComparisonReport? Comparison { get; init; }
}

/// <summary>One source × rule of <c>chorus compare</c>, over every method × part × metric.</summary>
/// <param name="Source"><c>ensemble</c>, <c>ensemble:KIND</c>, a one-model source or a control.</param>
/// <param name="Rule">The aggregation rule, <c>single</c>, or <c>-</c> for a control.</param>
/// <param name="Better">Comparisons in which its mean is better than plain Ens-Avg's.</param>
/// <param name="Total">Comparisons.</param>
/// <param name="SignificantlyBetter">Of those better, with Wilcoxon p &lt; 0.05.</param>
/// <param name="SignificantlyWorse">Worse with Wilcoxon p &lt; 0.05.</param>
/// <param name="TrainSeconds">Training seconds its maps needed.</param>
/// <param name="ExplainSeconds">Explanation seconds its maps needed.</param>
public sealed record ComparisonSummaryRow(string Source, string Rule, int Better, int Total, int SignificantlyBetter, int SignificantlyWorse, double TrainSeconds, double ExplainSeconds);

/// <summary>The compare section: a row per source × rule and the quality-vs-cost panels.</summary>
/// <param name="Rows">Source × rule rows, in compare.csv's order.</param>
/// <param name="Panels">One panel per metric and part: gain over plain Ens-Avg (mean over methods) against cost.</param>
/// <param name="Notes">Lines shown under the table (how σ and the weights were fitted), plain text.</param>
public sealed record ComparisonReport(IReadOnlyList<ComparisonSummaryRow> Rows, IReadOnlyList<Figures.QualityCostPanel> Panels, IReadOnlyList<string> Notes);

/// <summary>
/// Renders a run as ONE self-contained HTML page: no scripts, no network; plots are inline SVG, figures are PNG
/// data: URIs. Sections: results table, faithfulness (when computed), ensemble-size curves, per-image distributions
/// (split violins), galleries, run settings. <see cref="Write"/> also saves every plot as SVG (figures/) and PNG (plots/).
/// </summary>
public static class HtmlReport
{
    /// <summary>Section ids always present, in page order (tests check every one is present).</summary>
    public static readonly IReadOnlyList<string> SectionIds = ["results", "curves", "distributions", "galleries", "settings"];

    /// <summary>Id of the faithfulness section, present when <see cref="ReportModel.Faithfulness"/> is not empty.</summary>
    public const string FaithfulnessSectionId = "faithfulness";

    /// <summary>Id of the compare section, present when <see cref="ReportModel.Comparison"/> is set.</summary>
    public const string CompareSectionId = "compare";

    /// <summary>The page and the plots (file name → SVG text) it shows.</summary>
    public static (string Html, IReadOnlyDictionary<string, string> Plots) Render(ReportModel model)
    {
        var (html, figures) = RenderFigures(model);
        return (html, new SortedDictionary<string, string>(figures.ToDictionary(f => f.Key, f => f.Value.ToSvg()), StringComparer.Ordinal));
    }

    /// <summary>The page and the plots (file name ending in .svg → figure) it shows.</summary>
    public static (string Html, IReadOnlyDictionary<string, PlotFigure> Plots) RenderFigures(ReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var plots = new SortedDictionary<string, PlotFigure>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">");
        sb.Append("<title>Chorus report: ").Append(Escape(model.Title)).Append("</title><style>").Append(Css).Append("</style></head><body>\n");
        sb.Append("<h1>Chorus report: ").Append(Escape(model.Title)).Append("</h1>\n");
        sb.Append("<p class=\"lead\">Ens-Avg is the metric of the ensemble's averaged map; Exp-Avg is the mean over members of each member's metric. ")
          .Append("The better mean of each pair is highlighted; p is the two-sided Wilcoxon signed-rank test of the per-image differences.</p>\n");
        IEnumerable<string> nav = [
            SectionIds[0],
            .. model.Faithfulness.Count > 0 ? [FaithfulnessSectionId] : Array.Empty<string>(),
            .. model.Comparison is not null ? [CompareSectionId] : Array.Empty<string>(),
            .. SectionIds.Skip(1)];
        sb.Append("<nav>").AppendJoin(" · ", nav.Select(id => $"<a href=\"#{id}\">{id}</a>")).Append("</nav>\n");
        ResultsSection(sb, model);
        FaithfulnessSection(sb, model, plots);
        ComparisonSection(sb, model.Comparison);
        CurvesSection(sb, model, plots);
        DistributionSection(sb, model, plots);
        GallerySection(sb, model);
        SettingsSection(sb, model.Manifest);
        sb.Append("<footer>Generated by Chorus ").Append(Escape(DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture))).Append(".</footer>\n</body></html>\n");
        return (sb.ToString(), plots);
    }

    /// <summary>
    /// Writes <c>report.html</c> into <paramref name="folder"/>, the plots as SVG files under <c>figures/</c> and the same
    /// plots as PNG files (2× pixel size) under <c>plots/</c>; returns the page's path.
    /// </summary>
    public static string Write(string folder, ReportModel model)
    {
        var (html, plots) = RenderFigures(model);
        var figures = Path.Combine(folder, "figures");
        var pngs = Path.Combine(folder, "plots");
        Directory.CreateDirectory(figures);
        Directory.CreateDirectory(pngs);
        foreach (var (name, figure) in plots)
        {
            AtomicFile.WriteAllText(Path.Combine(figures, name), figure.ToSvg());
            AtomicFile.WriteAllBytes(Path.Combine(pngs, Path.ChangeExtension(name, ".png")), PlotRaster.ToPng(figure));
        }

        var path = Path.Combine(folder, "report.html");
        AtomicFile.WriteAllText(path, html);
        return path;
    }

    private static void ResultsSection(StringBuilder sb, ReportModel model)
    {
        sb.Append("<section id=\"results\"><h2>Ens-Avg vs Exp-Avg</h2>\n");
        if (model.Manifest?["results"]?["members_below_baseline"] is JsonArray below && below.Count > 0)
        {
            sb.Append("<p class=\"warn\">Member(s) ").Append(Escape(string.Join(", ", below.Select(n => n!.ToJsonString()))))
              .Append(" were not clearly above the majority-class baseline (").Append(Escape(model.Manifest["results"]?["majority_accuracy"]?.ToJsonString() ?? "?"))
              .Append(") when trained: their maps explain models that did not learn, and they are part of every Ens-Avg and Exp-Avg below.</p>\n");
        }

        if (model.Results.Count == 0)
        {
            sb.Append("<p>No results.</p></section>\n");
            return;
        }

        sb.Append("<table class=\"results\"><thead><tr><th>part</th><th>method</th><th>metric</th>")
          .Append("<th>Ens-Avg mean</th><th>Ens std</th><th>Ens 95% CI</th><th>Exp-Avg mean</th><th>Exp std</th><th>Exp 95% CI</th><th>n</th><th>Wilcoxon p</th></tr></thead><tbody>\n");
        var pairs = model.Results.GroupBy(r => (r.Part, r.Method, r.Metric));
        var ensWins = 0;
        var total = 0;
        foreach (var g in pairs)
        {
            var ens = g.FirstOrDefault(r => r.Aggregate == Aggregates.EnsAvg);
            var exp = g.FirstOrDefault(r => r.Aggregate == Aggregates.ExpAvg);
            if (ens is null || exp is null)
            {
                continue;
            }

            var ensBetter = double.IsFinite(ens.Mean) && double.IsFinite(exp.Mean) && ens.Mean != exp.Mean && (ens.Mean > exp.Mean) == ens.HigherIsBetter;
            var expBetter = double.IsFinite(ens.Mean) && double.IsFinite(exp.Mean) && ens.Mean != exp.Mean && !ensBetter;
            total++;
            ensWins += ensBetter ? 1 : 0;
            sb.Append("<tr><td class=\"key\">").Append(Escape(g.Key.Part)).Append("</td><td class=\"key\">").Append(Escape(g.Key.Method)).Append("</td><td class=\"key\">")
              .Append(Escape(g.Key.Metric)).Append(ens.HigherIsBetter ? " ↑" : " ↓").Append("</td>");
            Cells(sb, ens, ensBetter);
            Cells(sb, exp, expBetter);
            sb.Append("<td>").Append(ens.NImages).Append("</td><td").Append(ens.WilcoxonP < 0.05 ? " class=\"sig\"" : "").Append('>')
              .Append(PValue(ens.WilcoxonP)).Append("</td></tr>\n");
        }

        sb.Append("</tbody></table>\n<p>Ens-Avg has the better mean in <b>").Append(ensWins).Append("</b> of ").Append(total)
          .Append(" comparisons. ↑ higher is better, ↓ lower is better; CIs are percentile bootstrap over images.</p></section>\n");
    }

    private static void Cells(StringBuilder sb, ResultRow r, bool better)
    {
        var cls = better ? " class=\"better\"" : "";
        sb.Append("<td").Append(cls).Append('>').Append(Number(r.Mean)).Append("</td><td>").Append(Number(r.Std)).Append("</td><td>[")
          .Append(Number(r.CiLow)).Append(", ").Append(Number(r.CiHigh)).Append("]</td>");
    }

    private static void FaithfulnessSection(StringBuilder sb, ReportModel model, IDictionary<string, PlotFigure> plots)
    {
        if (model.Faithfulness.Count == 0)
        {
            return;
        }

        sb.Append("<section id=\"faithfulness\"><h2>Faithfulness: deletion and insertion</h2>\n<p>Pixels are changed most relevant first, ")
          .Append("in steps; the curve is the target-class probability. Deletion AUC ↓: the score should fall fast when the relevant pixels go. ")
          .Append("Insertion AUC ↑: it should rise fast when they come back. Exp-Avg: each member's own map on its own model, averaged over members; ")
          .Append("Ens-Avg: the averaged map on each member's model, averaged over members.</p>\n");
        sb.Append("<table class=\"results\"><thead><tr><th>method</th><th>metric</th>")
          .Append("<th>Ens-Avg mean</th><th>Ens std</th><th>Ens 95% CI</th><th>Exp-Avg mean</th><th>Exp std</th><th>Exp 95% CI</th><th>n</th><th>Wilcoxon p</th></tr></thead><tbody>\n");
        foreach (var g in model.Faithfulness.GroupBy(r => (r.Method, r.Metric)))
        {
            var ens = g.FirstOrDefault(r => r.Aggregate == Aggregates.EnsAvg);
            var exp = g.FirstOrDefault(r => r.Aggregate == Aggregates.ExpAvg);
            if (ens is null || exp is null)
            {
                continue;
            }

            var differ = double.IsFinite(ens.Mean) && double.IsFinite(exp.Mean) && ens.Mean != exp.Mean;
            var ensBetter = differ && (ens.Mean > exp.Mean) == ens.HigherIsBetter;
            sb.Append("<tr><td class=\"key\">").Append(Escape(g.Key.Method)).Append("</td><td class=\"key\">").Append(Escape(g.Key.Metric)).Append(ens.HigherIsBetter ? " ↑" : " ↓").Append("</td>");
            Cells(sb, ens, ensBetter);
            Cells(sb, exp, differ && !ensBetter);
            sb.Append("<td>").Append(ens.NImages).Append("</td><td").Append(ens.WilcoxonP < 0.05 ? " class=\"sig\"" : "").Append('>').Append(PValue(ens.WilcoxonP)).Append("</td></tr>\n");
        }

        sb.Append("</tbody></table>\n<div class=\"plots\">");
        foreach (var curve in model.FaithfulnessCurves.Select(c => c.Curve).Distinct())
        {
            var series = model.FaithfulnessCurves.Where(c => c.Curve == curve).GroupBy(c => c.Method)
                .Select(m => new FaithfulnessSeries(
                    m.Key,
                    [.. m.Where(c => c.Aggregate == Aggregates.EnsAvg).OrderBy(c => c.Fraction).Select(c => (c.Fraction, c.Mean))],
                    [.. m.Where(c => c.Aggregate == Aggregates.ExpAvg).OrderBy(c => c.Fraction).Select(c => (c.Fraction, c.Mean))]))
                .ToList();
            var figure = SvgPlots.FaithfulnessFigure($"{curve} curve (mean over images and members)", "target probability", series);
            plots[$"faithfulness-{Slug(curve)}.svg"] = figure;
            sb.Append("<figure>").Append(figure.ToSvg()).Append("</figure>");
        }

        sb.Append("</div></section>\n");
    }

    private static void ComparisonSection(StringBuilder sb, ComparisonReport? comparison)
    {
        if (comparison is null)
        {
            return;
        }

        sb.Append("<section id=\"compare\"><h2>Sources, rules and controls against plain Ens-Avg</h2>\n<p>Each row sets one source of maps ")
          .Append("(the ensemble, a cheaper ensemble kind, n maps from one model, or a control) with one aggregation rule against the ensemble's plain mean, ")
          .Append("on the same images, over every method × part × metric (<code>compare.csv</code> has each comparison with its CI and p). ")
          .Append("<code>single</code> is one map of one model (Exp-Avg). Costs are measured seconds of training and explanation.</p>\n");
        sb.Append("<table class=\"results\"><thead><tr><th>source</th><th>rule</th><th>better than plain Ens-Avg</th><th>significantly better</th><th>significantly worse</th><th>train s</th><th>explain s</th></tr></thead><tbody>\n");
        foreach (var r in comparison.Rows)
        {
            var reference = r.Source == "ensemble" && r.Rule == "mean";
            sb.Append("<tr><td class=\"key\">").Append(Escape(r.Source)).Append("</td><td class=\"key\">").Append(Escape(r.Rule)).Append("</td>");
            if (reference)
            {
                sb.Append("<td>(the reference)</td><td></td><td></td>");
            }
            else
            {
                sb.Append("<td").Append(r.Better * 2 > r.Total ? " class=\"better\"" : "").Append('>').Append(r.Better).Append(" of ").Append(r.Total)
                  .Append("</td><td>").Append(r.SignificantlyBetter).Append("</td><td>").Append(r.SignificantlyWorse).Append("</td>");
            }

            sb.Append("<td>").Append(Seconds(r.TrainSeconds)).Append("</td><td>").Append(Seconds(r.ExplainSeconds)).Append("</td></tr>\n");
        }

        sb.Append("</tbody></table>\n");
        foreach (var note in comparison.Notes)
        {
            sb.Append("<p>").Append(Escape(note)).Append("</p>\n");
        }

        if (comparison.Panels.Count > 0)
        {
            sb.Append("<p>Quality against cost: each point is a source × rule, its gain over plain Ens-Avg averaged over methods (higher is better), ")
              .Append("at its training + explanation seconds (log scale); the red line joins the Pareto front (nothing else both cheaper and better). ")
              .Append("The centre prior costs nothing and is left off the axis.</p>\n<figure>")
              .Append(Figures.QualityCostPlot.Svg(comparison.Panels, "gain over plain Ens-Avg, mean over methods")).Append("</figure>\n");
        }

        sb.Append("</section>\n");
    }

    private static string Seconds(double s) => double.IsFinite(s) ? s.ToString("F1", CultureInfo.InvariantCulture) : "–";

    private static void CurvesSection(StringBuilder sb, ReportModel model, IDictionary<string, PlotFigure> plots)
    {
        sb.Append("<section id=\"curves\"><h2>Ensemble-size curves</h2>\n<p>Metric of the average of the first k members, over random member orders (mean ± std over orders). ")
          .Append("k = 1 is a single member (≈ Exp-Avg); k = n is the full ensemble (Ens-Avg).</p>\n<div class=\"plots\">");
        if (model.Curves.Count == 0)
        {
            sb.Append("<p>No curves (run <code>chorus evaluate</code>).</p>");
        }

        foreach (var g in model.Curves.GroupBy(c => (c.Part, c.Metric)))
        {
            var series = g.GroupBy(c => c.Method)
                .Select(m => new CurveSeries(m.Key, [.. m.OrderBy(c => c.K).Select(c => (c.K, c.Mean, c.Std))]))
                .ToList();
            var figure = SvgPlots.CurvesFigure($"{g.Key.Part} · {g.Key.Metric}", g.Key.Metric, series);
            plots[$"curve-{Slug(g.Key.Part)}-{Slug(g.Key.Metric)}.svg"] = figure;
            sb.Append("<figure>").Append(figure.ToSvg()).Append("</figure>");
        }

        sb.Append("</div></section>\n");
    }

    private static void DistributionSection(StringBuilder sb, ReportModel model, IDictionary<string, PlotFigure> plots)
    {
        sb.Append("<section id=\"distributions\"><h2>Per-image distributions</h2>\n<p>Split violins per method: left (blue) Ens-Avg, right (orange) Exp-Avg. ")
          .Append("Each half is a Gaussian kernel density of the per-image values (Silverman's bandwidth 0.9·min(σ, IQR/1.34)·n<sup>−1/5</sup>, trimmed to the observed range), ")
          .Append("both halves of a method on one width scale; inside, a narrow box (quartiles, white median line, whiskers at 1.5 IQR) and the mean (diamond).</p>\n<div class=\"plots\">");
        if (model.PerImage.Count == 0)
        {
            sb.Append("<p>No per-image scores.</p>");
        }

        foreach (var g in model.PerImage.GroupBy(r => (r.Part, r.Metric)))
        {
            var groups = g.GroupBy(r => r.Method).Select(m => new BoxGroup(m.Key, [.. m.Select(r => r.EnsAvg)], [.. m.Select(r => r.ExpAvg)])).ToList();
            var figure = SvgPlots.ViolinsFigure($"{g.Key.Part} · {g.Key.Metric}", g.Key.Metric, groups);
            plots[$"violin-{Slug(g.Key.Part)}-{Slug(g.Key.Metric)}.svg"] = figure;
            sb.Append("<figure>").Append(figure.ToSvg()).Append("</figure>");
        }

        sb.Append("</div></section>\n");
    }

    private static void GallerySection(StringBuilder sb, ReportModel model)
    {
        sb.Append("<section id=\"galleries\"><h2>Galleries</h2>\n<p>Each row: the image with the ROI outlined, then each member's map (ring: its centre of mass), ")
          .Append("then the ensemble's map with the ROI outlined, a red arrowhead at its centre of mass and black arrows from the members' centres. ")
          .Append("Maps: relevance clipped at 0, each scaled by its own maximum (inferno).</p>\n");
        if (model.Gallery.Count == 0)
        {
            sb.Append("<p>No figures.</p>");
        }

        foreach (var g in model.Gallery.GroupBy(f => f.Method))
        {
            sb.Append("<h3>").Append(Escape(g.Key)).Append("</h3><div class=\"gallery\">");
            foreach (var f in g)
            {
                sb.Append("<figure><img alt=\"").Append(Escape(f.Caption)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(f.Png))
                  .Append("\"><figcaption>").Append(Escape(f.Caption)).Append("</figcaption></figure>");
            }

            sb.Append("</div>\n");
        }

        sb.Append("</section>\n");
    }

    private static void SettingsSection(StringBuilder sb, JsonNode? manifest)
    {
        sb.Append("<section id=\"settings\"><h2>Run settings</h2>\n");
        if (manifest is not JsonObject m)
        {
            sb.Append("<p>No manifest.json.</p></section>\n");
            return;
        }

        sb.Append("<table class=\"kv\">");
        Row(sb, "command", m["command"]);
        Row(sb, "started (UTC)", m["started_utc"]);
        sb.Append("</table>\n");
        foreach (var (key, title) in new[] { ("seeds", "Seeds"), ("results", "Results (member accuracies, counts)"), ("timings_s", "Timings (s)"), ("versions", "Versions"), ("machine", "Machine") })
        {
            if (m[key] is JsonObject o && o.Count > 0)
            {
                sb.Append("<h3>").Append(title).Append("</h3><table class=\"kv\">");
                foreach (var (k, v) in o)
                {
                    Row(sb, k, v);
                }

                sb.Append("</table>\n");
            }
        }

        if (m["options"] is JsonObject options)
        {
            sb.Append("<h3>Options</h3>");
            foreach (var (stage, value) in options)
            {
                sb.Append("<details open><summary>").Append(Escape(stage)).Append("</summary><pre>")
                  .Append(Escape(value?.ToJsonString(ReadableJson) ?? "null")).Append("</pre></details>");
            }
        }

        sb.Append("</section>\n");
    }

    private static void Row(StringBuilder sb, string key, JsonNode? value)
    {
        var text = value switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonArray a => string.Join(", ", a.Select(x => x?.ToJsonString(ReadableJson) ?? "null")),
            _ => value.ToJsonString(ReadableJson),
        };
        sb.Append("<tr><th>").Append(Escape(key)).Append("</th><td>").Append(Escape(text)).Append("</td></tr>");
    }

    /// <summary>JSON as people read it ('&lt;' not '\u003C'); the result is HTML-escaped before it is written.</summary>
    private static readonly JsonSerializerOptions ReadableJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private const string Css = """
        body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1420px}
        h1{font-size:22px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
        .lead{color:#444}.warn{background:#fff3cd;border-left:4px solid #e0a800;padding:6px 10px}nav{margin:8px 0 16px}
        table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
        th{background:#f4f4f4}table.results td.key{text-align:left}
        table.kv td,table.kv th{text-align:left}
        td.better{background:#d9f2d9;font-weight:bold}td.sig{font-weight:bold}
        .plots{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}
        .gallery{display:flex;flex-direction:column;gap:14px}.gallery img{max-width:100%;image-rendering:pixelated;border:1px solid #ccc}
        figcaption{font-size:12px;color:#444}pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}
        footer{margin-top:32px;color:#888;font-size:12px}
        """;
}
