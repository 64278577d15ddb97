using System.Globalization;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Metrics;
using Chorus.Runs;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>One row of randomisation.csv: how much a method's maps stay the same when the top layers are randomised.</summary>
/// <param name="Method">Attribution method.</param>
/// <param name="Top">Layers randomised, counted from the output.</param>
/// <param name="Layer">The deepest layer randomised (the cascade has reached it).</param>
/// <param name="Ensemble">Mean over images of Spearman(Ens-Avg map of the randomised members, Ens-Avg map of the trained ones).</param>
/// <param name="Single">Mean over members and images of Spearman(a randomised member's map, its trained map).</param>
/// <param name="Images">Images used.</param>
public sealed record RandomisationRow(string Method, int Top, string Layer, AggregateSummary Ensemble, AggregateSummary Single, int Images);

public sealed partial class StudyRunner
{
    /// <summary>Default number of explained images the randomisation test uses.</summary>
    public const int RandomisationImages = 16;

    /// <summary>
    /// The model-parameter randomisation test (<see cref="ParameterRandomisation"/>) on the study's run folder: for each
    /// depth of the cascade, every member with its top layers randomised explains the first <paramref name="images"/>
    /// explained images with the study's methods and settings (maps kept in <c>OUT/randomisation/top-K/</c>, resumed);
    /// the Spearman rank correlation of the randomised maps with the trained ones is reported for single members and for
    /// Ens-Avg. Low is good: the explanation follows the model. Writes <c>OUT/randomisation.csv</c>.
    /// </summary>
    public IReadOnlyList<RandomisationRow> RandomisationTest(int images = RandomisationImages, CancellationToken cancellationToken = default)
    {
        StartTensorWork();
        var run = RunFolder.Load(settings.Out, settings.Data);
        var factory = FaithfulnessRunner.Factory(run);
        var n = images <= 0 ? run.Chosen.Length : Math.Min(images, run.Chosen.Length);
        var size = run.Test.Size;
        var plane = 3 * size * size;
        var (allPixels, allLabels) = run.ExplainedImages();
        using var set = ImageTensorSet.FromArrays(allPixels[..(n * plane)], allLabels[..n], 3, size, size);
        IReadOnlyList<string> layers;
        using (var probe = factory())
        {
            layers = ParameterRandomisation.Layers(probe);
        }

        var explainer = NewExplainer();
        var spearman = new SpearmanCorrelation();
        var rows = new List<RandomisationRow>();
        var cascade = ParameterRandomisation.Cascade(layers.Count);
        reporter.Progress(ctx =>
        {
            var task = ctx.AddTask($"Randomisation test: {cascade.Count} depths × {run.Members} members × {n} images × {settings.Methods.Count} methods", (double)cascade.Count * run.Members * n);
            for (var c = 0; c < cascade.Count; c++)
            {
                var top = cascade[c];
                var runDir = Path.Combine(settings.Out, "randomisation", string.Create(CultureInfo.InvariantCulture, $"top-{top:D2}"), "run");
                GuardMapSettingsAt(Path.Combine(runDir, "maps", "settings.txt"), string.Create(CultureInfo.InvariantCulture, $"randomised_top_layers={top}"), string.Create(CultureInfo.InvariantCulture, $"images={n}"));
                var done = (double)c * run.Members * n;
                IClassifier Load(int member)
                {
                    var model = EnsembleTrainer.LoadMember(factory, Layout.Run, member);
                    ParameterRandomisation.Randomise(model, top, settings.Seed + (1_000_003L * (member + 1)) + top);
                    return model;
                }

                var progress = new SyncProgress<ExplainProgress>(p => task.Value = done + ((double)p.Member * n) + p.ImagesDone);
                var randomised = explainer.Explain(runDir, Load, run.Members, set, settings.Methods, progress, cancellationToken);
                foreach (var method in settings.Methods)
                {
                    var single = new List<double>();
                    var ensemble = new List<double>();
                    for (var i = 0; i < n; i++)
                    {
                        var trained = run.Maps[method].Select(m => m[i]).ToList();
                        var random = randomised[method].Select(m => m[i]).ToList();
                        single.AddRange(trained.Zip(random, (t, r) => spearman.Compute(r, t)));
                        ensemble.Add(spearman.Compute(run.Aggregator.Aggregate(random), run.Aggregator.Aggregate(trained)));
                    }

                    rows.Add(new RandomisationRow(method, top, layers[layers.Count - top], AggregateSummary.Of(ensemble), AggregateSummary.Of(single), n));
                }
            }

            return 0;
        });

        Csv.Write(Path.Combine(settings.Out, "randomisation.csv"), "method,randomised_top_layers,deepest_layer_randomised,ens_spearman_mean,ens_spearman_std,single_spearman_mean,single_spearman_std,n_images",
            rows.Select(r => new[]
            {
                Csv.Field(r.Method), Csv.Field(r.Top), Csv.Field(r.Layer), Csv.Field(r.Ensemble.Mean), Csv.Field(r.Ensemble.Std),
                Csv.Field(r.Single.Mean), Csv.Field(r.Single.Std), Csv.Field(r.Images),
            }));
        return rows;
    }
}
