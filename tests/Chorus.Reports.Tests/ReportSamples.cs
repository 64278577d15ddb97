using System.Text.Json.Nodes;
using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Reports.Figures;
using Chorus.Reports.Html;

namespace Chorus.Reports.Tests;

/// <summary>A small but complete report model: 2 parts × 2 methods × 2 metrics, 3 members, 6 images, one gallery figure per method.</summary>
internal static class ReportSamples
{
    public static readonly string[] Methods = ["saliency", "grad-cam"];

    public static ReportModel Model(string className = "Cardinal", bool faithfulness = false)
    {
        var results = new List<ResultRow>();
        var perImage = new List<PerImageRow>();
        var curves = new List<CurveRow>();
        var rng = new Random(1);
        foreach (var part in new[] { "beak", "wings" })
        {
            foreach (var method in Methods)
            {
                foreach (var (metric, higher) in new[] { ("com_distance", false), ("pearson", true) })
                {
                    results.Add(new ResultRow(part, method, metric, Aggregates.EnsAvg, 0.21, 0.03, 0.19, 0.23, 6, 0, higher, 0.0312));
                    results.Add(new ResultRow(part, method, metric, Aggregates.ExpAvg, 0.25, 0.05, 0.22, 0.28, 6, 0, higher, 0.0312));
                    for (var i = 0; i < 6; i++)
                    {
                        perImage.Add(new PerImageRow($"{i + 1}", part, method, metric, 0.2 + (rng.NextDouble() * 0.05), 0.22 + (rng.NextDouble() * 0.1)));
                    }

                    for (var k = 1; k <= 3; k++)
                    {
                        curves.Add(new CurveRow(part, method, metric, k, 0.25 - (0.015 * k), k == 3 ? 0 : 0.01));
                    }
                }
            }
        }

        var manifest = new JsonObject
        {
            ["command"] = "demo",
            ["started_utc"] = "2026-01-01T00:00:00Z",
            ["seeds"] = new JsonObject { ["training"] = 7 },
            ["options"] = new JsonObject { ["study"] = new JsonObject { ["Out"] = "runs/<b>bold</b>", ["ExplainCount"] = 6 } },
            ["versions"] = new JsonObject { ["TorchSharp"] = "0.107.0" },
            ["timings_s"] = new JsonObject { ["train"] = 1.5 },
            ["results"] = new JsonObject { ["test_accuracy_per_member"] = new JsonArray(0.9, 0.85, 0.88) },
        };
        var faith = new List<ResultRow>();
        var faithCurves = new List<FaithfulnessCurveRow>();
        if (faithfulness)
        {
            foreach (var method in Methods)
            {
                foreach (var (metric, higher) in new[] { ("deletion_auc", false), ("insertion_auc", true) })
                {
                    faith.Add(new ResultRow("image", method, metric, Aggregates.EnsAvg, 0.3, 0.1, 0.25, 0.35, 6, 0, higher, 0.2));
                    faith.Add(new ResultRow("image", method, metric, Aggregates.ExpAvg, 0.32, 0.1, 0.27, 0.37, 6, 0, higher, 0.2));
                }

                foreach (var curve in new[] { "deletion", "insertion" })
                {
                    foreach (var aggregate in new[] { Aggregates.EnsAvg, Aggregates.ExpAvg })
                    {
                        for (var k = 0; k <= 4; k++)
                        {
                            var f = k / 4.0;
                            faithCurves.Add(new FaithfulnessCurveRow(method, curve, aggregate, f, curve == "deletion" ? 0.9 - (0.8 * f) : 0.1 + (0.8 * f)));
                        }
                    }
                }
            }
        }

        return new ReportModel
        {
            Faithfulness = faith,
            FaithfulnessCurves = faithCurves,
            Title = "sample-run",
            Results = results,
            PerImage = perImage,
            Curves = curves,
            Gallery = [.. Methods.Select(m => new GalleryFigure(m, $"image 1 · {className} · {m} · ROI beak", Figure()))],
            Manifest = manifest,
        };
    }

    /// <summary>An EnsembleFigure of a 16×16 image with three members.</summary>
    public static byte[] Figure()
    {
        const int s = 16;
        var rgb = new byte[s * s * 3];
        for (var i = 0; i < rgb.Length; i++)
        {
            rgb[i] = (byte)(i * 7 % 255);
        }

        var members = Enumerable.Range(0, 3).Select(m => Blob(s, 4 + (2 * m), 6)).ToList();
        var roi = new SaliencyMap(s, s, [.. Enumerable.Range(0, s * s).Select(p => p % s is >= 4 and < 9 && p / s is >= 4 and < 9 ? 1f : 0f)]);
        return EnsembleFigure.RenderPng(rgb, s, s, roi, members, EnsembleAggregator.Mean.Aggregate(members), scale: 6);
    }

    private static SaliencyMap Blob(int s, int cx, int cy) =>
        new(s, s, [.. Enumerable.Range(0, s * s).Select(p => (float)Math.Exp(-(Math.Pow((p % s) - cx, 2) + Math.Pow((p / s) - cy, 2)) / 6))]);
}
