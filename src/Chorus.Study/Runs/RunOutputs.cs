using System.Globalization;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Metrics;
using Chorus.Reports.Figures;
using Chorus.Reports.Html;
using Chorus.Statistics;

namespace Chorus.Study;

/// <summary>
/// The files computed from a run's maps: results.csv, per_image.csv, summary.json (as <see cref="StudyFiles"/>),
/// curves.csv (ensemble-size curves) and report.html with its plots under figures/.
/// </summary>
public static class RunOutputs
{
    /// <summary>Default number of random member orders of the ensemble-size curve.</summary>
    public const int DefaultOrders = 10;

    /// <summary>Ens-Avg vs Exp-Avg for every method × part with <paramref name="metricNames"/>; writes results.csv, per_image.csv and summary.json.</summary>
    public static IReadOnlyList<MetricComparison> Evaluate(RunData run, IReadOnlyList<string> metricNames)
    {
        ArgumentNullException.ThrowIfNull(run);
        var evaluator = new EnsembleEvaluator([.. metricNames.Select(MetricRegistry.Create)], run.Aggregator);
        var bootstrap = new BootstrapOptions(Seed: unchecked((int)run.Seed));
        var comparisons = new List<MetricComparison>();
        var perImage = new List<PerImageRow>();
        var ids = run.ImageIds;
        foreach (var method in run.Methods)
        {
            var perMember = PerMember(run, method);
            foreach (var part in run.Parts)
            {
                var result = evaluator.Evaluate(perMember, Rois(run, part), ids);
                comparisons.AddRange(ResultTables.CompareAll(part, method, result, bootstrap));
                perImage.AddRange(ResultTables.ToPerImageRows(part, method, result));
            }
        }

        StudyFiles.Write(run.Folder, comparisons, perImage, run.Members, run.Aggregator.Name, bootstrap);
        return comparisons;
    }

    /// <summary>
    /// Ens-Avg against the smoothing and centre-prior controls (<see cref="Chorus.Evaluation.Controls"/>) for every method ×
    /// part × metric; writes controls.csv. σ of the smoothing control comes from maps only, no region: from the members' maps
    /// of training images when <c>OUT/controls/train</c> holds them (<see cref="StudyRunner.ExplainControlFit"/>, made by
    /// <c>compare</c>), otherwise cross-fitted over two halves of the explained images.
    /// </summary>
    public static IReadOnlyList<ControlComparison> Controls(RunData run, IReadOnlyList<string> metricNames)
    {
        ArgumentNullException.ThrowIfNull(run);
        var evaluator = new EnsembleEvaluator([.. metricNames.Select(MetricRegistry.Create)], run.Aggregator);
        var bootstrap = new BootstrapOptions(Seed: unchecked((int)run.Seed));
        var ids = run.ImageIds;
        var rows = new List<ControlComparison>();
        var fit = RunFolder.ControlFitMaps(run);
        foreach (var method in run.Methods)
        {
            var perMember = PerMember(run, method);
            var controls = Chorus.Evaluation.Controls.For(perMember, run.Aggregator, fit is null ? null : [.. fit[method]]);
            var smoothing = fit is null
                ? string.Create(CultureInfo.InvariantCulture, $"sigma_px={controls.SigmaEven:0.##}/{controls.SigmaOdd:0.##} (fitted on {controls.FittedOn})")
                : string.Create(CultureInfo.InvariantCulture, $"sigma_px={controls.SigmaEven:0.##} (fitted on {controls.FittedOn})");
            var centreText = string.Create(CultureInfo.InvariantCulture, $"sigma={Chorus.Evaluation.Controls.CentrePriorSigmaFraction:0.##}*side");
            foreach (var part in run.Parts)
            {
                var rois = Rois(run, part);
                var own = evaluator.Evaluate(perMember, rois, ids);
                var smooth = evaluator.Evaluate(controls.Blurred, rois, ids);
                var prior1 = evaluator.Evaluate(controls.Centre, rois, ids);
                foreach (var m in own.Metrics)
                {
                    rows.Add(new ControlComparison("smoothing", smoothing, ResultTables.Compare(part, method, MetricEvaluation.FromScores(m.Metric, m.HigherIsBetter, m.Ens, smooth[m.Metric].Exp), own.ImagesNotVisible, bootstrap)));
                    rows.Add(new ControlComparison("centre-prior", centreText, ResultTables.Compare(part, method, MetricEvaluation.FromScores(m.Metric, m.HigherIsBetter, m.Ens, prior1[m.Metric].Exp), own.ImagesNotVisible, bootstrap)));
                }
            }
        }

        ControlsCsv.Write(run.Layout.Controls, rows);
        return rows;
    }

    /// <summary>Ensemble-size curves (k = 1..n, <paramref name="orders"/> seeded member orders) per part × method × metric; writes curves.csv.</summary>
    public static IReadOnlyList<CurveRow> Curves(RunData run, IReadOnlyList<string> metricNames, int orders = DefaultOrders)
    {
        ArgumentNullException.ThrowIfNull(run);
        IReadOnlyList<IExplanationMetric> metrics = [.. metricNames.Select(MetricRegistry.Create)];
        var rows = new List<CurveRow>();
        foreach (var method in run.Methods)
        {
            // One pass over the member maps for all parts: each subset aggregate is sorted once and scored against every part's ROI.
            var perPart = EnsembleSizeCurve.ComputeParts(PerMember(run, method), [.. run.Parts.Select(part => (IReadOnlyList<SaliencyMap?>)Rois(run, part))], metrics, run.Aggregator, orders: orders, seed: unchecked((int)run.Seed));
            for (var p = 0; p < run.Parts.Count; p++)
            {
                rows.AddRange(ResultTables.ToCurveRows(run.Parts[p], method, perPart[p]));
            }
        }

        CurvesCsv.Write(run.Layout.Curves, rows);
        return rows;
    }

    /// <summary>
    /// Writes report.html (and figures/*.svg, plots/*.png) from the run's results.csv and per_image.csv; curves.csv is
    /// computed first when missing; faithfulness.csv and faithfulness_curves.csv are shown when present. Returns the page's path.
    /// </summary>
    public static string Report(RunData run, int galleryImages = 3, int orders = DefaultOrders)
    {
        ArgumentNullException.ThrowIfNull(run);
        RunFolder.Require(run.Folder, "results.csv", "per_image.csv");
        var results = ResultsCsv.Read(run.Layout.Results);
        var perImage = PerImageCsv.Read(run.Layout.PerImage);
        var curvesPath = run.Layout.Curves;
        var curves = File.Exists(curvesPath)
            ? CurvesCsv.Read(curvesPath)
            : Curves(run, [.. results.Select(r => r.Metric).Distinct()], orders);
        var model = new ReportModel
        {
            Title = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(run.Folder))),
            Results = results,
            PerImage = perImage,
            Curves = curves,
            Gallery = Gallery(run, perImage, galleryImages),
            Faithfulness = File.Exists(run.Layout.Faithfulness) ? ResultsCsv.Read(run.Layout.Faithfulness) : [],
            FaithfulnessCurves = File.Exists(run.Layout.FaithfulnessCurves) ? FaithfulnessCurvesCsv.Read(run.Layout.FaithfulnessCurves) : [],
            Manifest = run.Manifest,
            Comparison = StudyComparison.ReadReport(run.Folder),
        };
        return HtmlReport.Write(run.Folder, model);
    }

    /// <summary>EnsembleFigure per method for the first <paramref name="images"/> explained images, on the first part's ROI.</summary>
    public static IReadOnlyList<GalleryFigure> Gallery(RunData run, IReadOnlyList<PerImageRow> perImage, int images)
    {
        ArgumentNullException.ThrowIfNull(run);
        var part = run.Parts[0];
        var ids = run.ImageIds;
        var figures = new List<GalleryFigure>();
        foreach (var method in run.Methods)
        {
            for (var k = 0; k < Math.Min(images, run.Chosen.Length); k++)
            {
                var i = run.Chosen[k];
                var members = run.Maps[method].Select(m => m[k]).ToList();
                var ensemble = run.Aggregator.Aggregate(members);
                var roi = run.Test.Regions[part][i]?.Mask;
                var disagreement = members.Count > 1 ? EnsembleAggregator.Disagreement(members) : null;
                var png = EnsembleFigure.RenderPng(run.Test.Rgb(i), run.Test.Size, run.Test.Size, roi, members, ensemble, scale: Math.Clamp(256 / run.Test.Size, 1, 5), disagreement: disagreement);
                var label = run.Test.Labels[i];
                var className = label >= 0 && label < run.ClassNames.Count ? run.ClassNames[label] : label.ToString(CultureInfo.InvariantCulture);
                var scores = perImage.Where(r => r.ImageId == ids[k] && r.Part == part && r.Method == method).Take(2)
                    .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Metric}: Ens {r.EnsAvg:G3} / Exp {r.ExpAvg:G3}"));
                var caption = $"image {ids[k]} · {className} · {method} · ROI {part}{(roi is null ? " (not visible)" : "")}. {string.Join("; ", scores)}"
                    + (disagreement is null ? "" : $". Last panel: the members' disagreement σ/|mean| (dark: they agree; bright: spread ≥ {EnsembleFigure.DisagreementCap:0}× the mean).");
                figures.Add(new GalleryFigure(method, caption, png));
            }
        }

        return figures;
    }

    private static List<IReadOnlyList<SaliencyMap>> PerMember(RunData run, string method) =>
        [.. run.Maps[method].Select(m => (IReadOnlyList<SaliencyMap>)m)];

    private static List<SaliencyMap?> Rois(RunData run, string part) =>
        [.. run.Chosen.Select(i => run.Test.Regions[part][i]?.Mask)];
}
