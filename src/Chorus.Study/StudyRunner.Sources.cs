using System.Diagnostics;
using Chorus.Explanations;
using Chorus.Runs;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using Chorus.Torch.Training;

namespace Chorus.Study;

public sealed partial class StudyRunner
{
    /// <summary>The member whose model the one-model sources perturb.</summary>
    public const int SourceBaseMember = 0;

    /// <summary>
    /// The maps of a one-model <paramref name="source"/> (SmoothGrad, NoiseGrad, FusionGrad, TTA, MC-dropout): as many maps
    /// per image as the study has members, all from member <see cref="SourceBaseMember"/>, for the images the study
    /// explained, with the study's explanation settings. Needs the study's run folder (run it first). Written to
    /// <c>OUT/sources/NAME/run/maps/</c> and resumed from there; returns maps[method][i][image] and the seconds spent
    /// computing them (0 when any map was already on disk: a resumed source has no whole figure).
    /// </summary>
    /// <remarks>
    /// TTA: the files hold the maps as the explainer made them, on the augmented image; they are mapped back to the
    /// original geometry after every load and every computation alike (<see cref="Chorus.Data.Transforms.TestTimeAugmentation.MapBack"/>),
    /// so what this returns is aligned with the original image and its regions whether it was computed or resumed.
    /// </remarks>
    /// <exception cref="ChorusException">Member 0 is missing, or MC-dropout is asked of members trained without dropout.</exception>
    public (IReadOnlyDictionary<string, SaliencyMap[][]> Maps, double Seconds) ExplainSource(MapSource source, CancellationToken cancellationToken = default)
    {
        if (source == MapSource.Ensemble)
        {
            throw new ArgumentException("The ensemble's maps are the study's own; explain a one-model source.", nameof(source));
        }

        StartTensorWork();
        var run = RunFolder.Load(settings.Out, settings.Data);
        var n = settings.Training.Members;
        var checkpoint = EnsembleTrainer.CheckpointPath(Layout.Run, SourceBaseMember);
        if (!File.Exists(checkpoint))
        {
            throw new ChorusException($"{settings.Out}: the {source.Name()} maps start from member {SourceBaseMember}, and {Path.GetRelativePath(settings.Out, checkpoint)} is missing; run the study first.");
        }

        // MC-dropout needs the dropout the members were trained with (the run's own record, not this call's options).
        var dropout = source == MapSource.McDropout ? FaithfulnessRunner.Spec(run).Dropout : 0;
        if (source == MapSource.McDropout && dropout <= 0)
        {
            throw new ChorusException(NoDropoutMessage(settings.Out));
        }

        var runDir = Path.Combine(SourceFolder(source), "run");
        GuardMapSettingsAt(Path.Combine(runDir, "maps", "settings.txt"), source.Describe(SourceBaseMember, n, settings.Seed, dropout));
        var factory = FaithfulnessRunner.Factory(run);
        var size = run.Test.Size;
        var plane = 3 * size * size;
        var (pixels, labels) = run.ExplainedImages();
        var augmentations = source == MapSource.Tta ? MapSources.Augmentations(n, settings.Seed) : null;

        var explainer = NewExplainer();
        var clock = Stopwatch.StartNew();
        var (computed, resumed) = (false, false);
        var maps = settings.Methods.ToDictionary(m => m, _ => new SaliencyMap[n][], StringComparer.Ordinal);
        reporter.Progress(ctx =>
        {
            var task = ctx.AddTask($"{source.Name()}: {n} maps × {labels.Length} images × {settings.Methods.Count} methods from member {SourceBaseMember}", (double)n * labels.Length);
            for (var k = 0; k < n; k++)
            {
                var sample = k;
                var input = source.NoisesInput() ? MapSources.AddInputNoise(pixels, plane, MapSources.SmoothGradSigma, unchecked((int)settings.Seed + MapSources.InputNoiseSeedOffset + sample))
                    : augmentations is not null ? augmentations[sample].AugmentImages(pixels, 3, size)
                    : pixels;
                using var images = ImageTensorSet.FromArrays(input, labels, 3, size, size);
                IClassifier Load(int member)
                {
                    var model = EnsembleTrainer.LoadMember(factory, Layout.Run, SourceBaseMember);
                    if (source.NoisesWeights())
                    {
                        // A fresh copy of the checkpoint per sample, so samples never compound (the explainer disposes it).
                        NoiseGrad.Apply(model, NoiseGrad.DefaultSigma, settings.Seed + MapSources.WeightNoiseSeedOffset + member);
                    }

                    if (source == MapSource.McDropout)
                    {
                        // One mask for the whole sample, in the head's weights of a fresh copy; the explainer puts it in eval mode.
                        McDropout.Apply(model, dropout, settings.Seed + MapSources.DropoutMaskSeedOffset + member);
                    }

                    return model;
                }

                var progress = new SyncProgress<ExplainProgress>(p =>
                {
                    task.Value = ((double)sample * labels.Length) + p.ImagesDone;
                    computed |= !p.Resumed;
                    resumed |= p.Resumed;
                });
                var one = explainer.Explain(runDir, Load, n, images, settings.Methods, progress, cancellationToken, new MemberRange(sample, sample));
                foreach (var m in settings.Methods)
                {
                    // TTA's maps (computed or loaded) are in the augmented geometry: back to the original one.
                    maps[m][sample] = augmentations is null ? one[m][sample] : [.. one[m][sample].Select(map => augmentations[sample].MapBack(map))];
                }
            }

            return 0;
        });
        // The time of a source made in one go; a source finished after an interruption has no true figure (0: keep the old one).
        return (maps, computed && !resumed ? clock.Elapsed.TotalSeconds : 0);
    }

    /// <summary>Why MC-dropout maps cannot be made in the study folder <paramref name="out"/>: its members have no dropout.</summary>
    public static string NoDropoutMessage(string @out) =>
        $"{@out}: the mc-dropout maps need members trained with dropout, and this study's members have none; train a study with --dropout P (0 < P < 1, e.g. 0.2) in a new --out folder, or leave mc-dropout out of --sources.";

    /// <summary>The folder of a one-model source's maps and results: <c>OUT/sources/NAME</c>.</summary>
    public string SourceFolder(MapSource source) => Path.Combine(settings.Out, "sources", source.Name());
}
