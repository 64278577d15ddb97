using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Explanations;
using Chorus.IO;
using Chorus.Runs;
using Chorus.Torch.Explaining;
using Chorus.Torch.Training;

namespace Chorus.Study;

public sealed partial class StudyRunner
{
    /// <summary>Training images the smoothing control's σ is fitted on, by default.</summary>
    public const int ControlFitImages = 16;

    /// <summary>
    /// Every member's maps of <paramref name="count"/> training images (<see cref="RunFolder.TrainingImages"/>), with the
    /// study's explanation settings: the smoothing control chooses its σ on these, so no test image, map or region has a say
    /// in it. Needs the study's run folder (run it first). Written to <c>OUT/controls/train</c> (its <c>run/explained.json</c>
    /// names the images) and resumed from there; returns maps[method][member][image].
    /// </summary>
    public IReadOnlyDictionary<string, SaliencyMap[][]> ExplainControlFit(int count = ControlFitImages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        StartTensorWork();
        var run = RunFolder.Load(settings.Out, settings.Data);
        var n = settings.Training.Members;
        var fit = Layout.ControlFit;
        var (pixels, labels, ids) = RunFolder.TrainingImages(run, count, settings.Data);
        GuardMapSettingsAt(Path.Combine(fit.Run, "maps", "settings.txt"), "split=train", $"image_ids={string.Join(' ', ids.Select(i => i.ToString(CultureInfo.InvariantCulture)))}");
        var size = run.Test.Size;
        var factory = FaithfulnessRunner.Factory(run);
        var explainer = NewExplainer();
        using var images = ImageTensorSet.FromArrays(pixels, labels, 3, size, size);
        var maps = reporter.Progress(ctx =>
        {
            var task = ctx.AddTask($"smoothing control: {n} members × {labels.Length} training images × {settings.Methods.Count} methods", (double)n * labels.Length);
            var progress = new SyncProgress<ExplainProgress>(p => task.Value = ((double)p.Member * labels.Length) + p.ImagesDone);
            return explainer.Explain(fit.Run, m => EnsembleTrainer.LoadMember(factory, Layout.Run, m), n, images, settings.Methods, progress, cancellationToken);
        });
        AtomicFile.WriteAllText(fit.Explained, new JsonObject
        {
            ["split"] = "train",
            ["size"] = size,
            ["image_ids"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return maps;
    }
}
