using Chorus.Data.Synthetic;
using Chorus.Ensembles;
using Chorus.Data.Transforms;
using Chorus.Explanations;
using Chorus.Study;
using Chorus.Torch.Attribution;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using Chorus.Torch.Training;

namespace Chorus.Study.Tests;

/// <summary>The one-model map sources of <c>chorus compare</c>: test-time augmentation and MC-dropout on tiny studies.</summary>
public class MapSourcesTests
{
    private const int Members = 3;
    private const int Explained = 6;
    private const int Side = 48;

    [Fact]
    public void Tta_OnATinyStudy_GivesAlignedMapsPerImage_AndResumesToTheSameValues()
    {
        // Given: a tiny finished study (3 members, so TTA uses identity, flip, zoom 0.9)
        var settings = Tiny("tta", dropout: 0);
        new StudyRunner(new SilentStudyReporter(), settings).Run("library");
        var run = RunFolder.Load(settings.Out);

        // When: the TTA source is explained, then again by a new runner (everything on disk)
        var (maps, seconds) = new StudyRunner(new SilentStudyReporter(), settings).ExplainSource(MapSource.Tta);
        var (again, resumedSeconds) = new StudyRunner(new SilentStudyReporter(), settings).ExplainSource(MapSource.Tta);

        // Then: n maps per image and method; map 0 (the identity) is member 0's own map, exactly
        var augmentations = MapSources.Augmentations(Members, settings.Seed);
        foreach (var method in settings.Methods)
        {
            Assert.Equal(Members, maps[method].Length);
            Assert.All(maps[method], m => Assert.Equal(Explained, m.Length));
            Assert.Equal(run.Maps[method][0].Select(m => m.Values), maps[method][0].Select(m => m.Values));
        }

        // And: mapped back, the flipped and zoomed maps line up with member 0's own map, better than the same maps left in
        // the augmented geometry, and so does their mean. Measured on this study (mean Pearson r over images, mapped back
        // against left augmented): saliency flip 0.62 / 0.30, zoom 0.9 0.71 / 0.64, mean of the 3 maps 0.89 / 0.84;
        // input × gradient 0.61 / 0.23, 0.67 / 0.56, 0.88 / 0.81.
        var tta = Path.Combine(settings.Out, "sources", "tta", "run");
        foreach (var method in settings.Methods)
        {
            var plain = run.Maps[method][0];
            var raw = Enumerable.Range(0, Members).Select(i => SaliencyMap.LoadStack(EnsembleExplainer.MapsPath(tta, method, i), Explained, Side, Side)).ToArray();
            double Agreement(SaliencyMap[] set) => Enumerable.Range(0, Explained).Average(k => Pearson(set[k], plain[k]));
            var (flipAligned, flipRaw) = (Agreement(maps[method][1]), Agreement(raw[1]));
            var (zoomAligned, zoomRaw) = (Agreement(maps[method][2]), Agreement(raw[2]));
            var mean = Agreement([.. Enumerable.Range(0, Explained).Select(k => EnsembleAggregator.Mean.Aggregate([.. maps[method].Select(m => m[k])]))]);
            var rawMean = Agreement([.. Enumerable.Range(0, Explained).Select(k => EnsembleAggregator.Mean.Aggregate([.. raw.Select(m => m[k])]))]);
            var measured = $"{method}: flip {flipAligned:F2} (left augmented {flipRaw:F2}), zoom 0.9 {zoomAligned:F2} ({zoomRaw:F2}), mean {mean:F2} ({rawMean:F2})";
            Assert.True(flipAligned > flipRaw + 0.15, measured);
            Assert.True(zoomAligned > zoomRaw, measured);
            Assert.True(mean > 0.8 && mean > rawMean, measured);

            // The files hold the augmented geometry, mapped back on every load: for the flip, exactly
            Assert.Equal(augmentations[1].MapBack(raw[1][2]).Values, maps[method][1][2].Values);
        }

        Assert.Contains("augmentations=none@1,flip@1,none@0.9", File.ReadAllText(Path.Combine(settings.Out, "sources", "tta", "run", "maps", "settings.txt")));

        // And: resumed, the same values; no explanation time for a resumed source
        Assert.True(seconds > 0);
        Assert.Equal(0, resumedSeconds);
        foreach (var method in settings.Methods)
        {
            Assert.Equal(maps[method].Select(i => i.Select(m => m.Values)), again[method].Select(i => i.Select(m => m.Values)));
        }

        // And: MC-dropout is refused on these members (trained without dropout), naming the option
        var e = Assert.Throws<ChorusException>(() => new StudyRunner(new SilentStudyReporter(), settings).ExplainSource(MapSource.McDropout));
        Assert.Contains("--dropout", e.Message);
        Assert.Contains(settings.Out, e.Message);
        Assert.False(Directory.Exists(Path.Combine(settings.Out, "sources", "mc-dropout")));
    }

    [Fact]
    public void McDropout_OnAStudyTrainedWithDropout_GivesOneModelPerMask_AndResumesToTheSameValues()
    {
        // Given: a tiny study whose members trained with dropout 0.3 before the head
        var settings = Tiny("mc", dropout: 0.3);
        new StudyRunner(new SilentStudyReporter(), settings).Run("library");
        var run = RunFolder.Load(settings.Out);

        // When
        var (maps, _) = new StudyRunner(new SilentStudyReporter(), settings).ExplainSource(MapSource.McDropout);
        var (again, resumedSeconds) = new StudyRunner(new SilentStudyReporter(), settings).ExplainSource(MapSource.McDropout);

        // Then: n maps per image; each mask a different model (maps differ between masks) that still looks like member 0
        var saliency = maps[Saliency.CliName];
        var plain = run.Maps[Saliency.CliName][0];
        Assert.Equal(Members, saliency.Length);
        Assert.All(saliency, m => Assert.Equal(Explained, m.Length));
        for (var i = 0; i < Members; i++)
        {
            Assert.NotEqual(plain[0].Values, saliency[i][0].Values);
            Assert.NotEqual(saliency[i][0].Values, saliency[(i + 1) % Members][0].Values);
            var r = Enumerable.Range(0, Explained).Average(k => Pearson(saliency[i][k], plain[k]));
            Assert.True(r > 0.5, $"mask {i}: r = {r:F3} against member 0's own map");
        }

        // And: map i is member 0 with mask i (seeded by the study seed and i), every image the same model
        var model = EnsembleTrainer.LoadMember(FaithfulnessRunner.Factory(run), run.Layout.Run, 0);
        Assert.Equal(0.3, McDropout.DropoutOf(model));
        var mask = McDropout.Apply(model, 0.3, settings.Seed + MapSources.DropoutMaskSeedOffset + 1);
        Assert.Contains(0f, mask);
        var (pixels, labels) = run.ExplainedImages();
        using (var images = ImageTensorSet.FromArrays(pixels, labels, 3, Side, Side))
        {
            // The explainer puts the model in eval mode and disposes it.
            var direct = new EnsembleExplainer(settings.Attribution, settings.Reduction, seed: settings.Seed)
                .Explain(Path.Combine(Chorus.Testing.TestPaths.TempDir(), "direct"), _ => model, 1, images, [Saliency.CliName]);
            Assert.Equal(saliency[1].Select(m => m.Values), direct[Saliency.CliName][0].Select(m => m.Values));
        }

        // And: resumed, the same values
        Assert.Equal(0, resumedSeconds);
        foreach (var method in settings.Methods)
        {
            Assert.Equal(maps[method].Select(i => i.Select(m => m.Values)), again[method].Select(i => i.Select(m => m.Values)));
        }

        Assert.Contains("dropout=0.3", File.ReadAllText(Path.Combine(settings.Out, "sources", "mc-dropout", "run", "maps", "settings.txt")));
    }

    [Fact]
    public void CompareStage_McDropoutWithoutDropout_StopsBeforeTheStudyRuns()
    {
        // Given: settings without dropout
        var settings = Tiny("early", dropout: 0);

        // When
        var e = Assert.Throws<ChorusException>(() => StudyCompareStage.Run(settings, [MapSource.McDropout], new SilentStudyReporter()));

        // Then: the clear error, and nothing trained
        Assert.Contains("--dropout", e.Message);
        Assert.False(Directory.Exists(Path.Combine(settings.Out, "run")));
    }

    [Fact]
    public void Defaults_HaveMcDropoutOnlyWithDropout_AndNamesParse()
    {
        Assert.Equal([MapSource.SmoothGrad, MapSource.NoiseGrad, MapSource.FusionGrad, MapSource.Tta], MapSources.Defaults(0));
        Assert.Equal([MapSource.SmoothGrad, MapSource.NoiseGrad, MapSource.FusionGrad, MapSource.Tta, MapSource.McDropout], MapSources.Defaults(0.2));
        Assert.Equal("mc-dropout", MapSource.McDropout.Name());
        Assert.Equal(MapSource.McDropout, MapSources.Parse("mc-dropout"));
        Assert.Equal(MapSource.Tta, MapSources.Parse(" TTA "));
        Assert.Throws<ArgumentException>(() => MapSources.Parse("mcdropout"));
    }

    [Fact]
    public void Describe_OldSourcesUnchanged_TtaRecordsItsAugmentations_McDropoutItsDropout()
    {
        // The lines the existing sources always wrote (their maps on disk resume only if these stay the same)
        Assert.Equal(["source=smoothgrad", "base_member=0", "input_noise_sigma=0.15*range"], MapSource.SmoothGrad.Describe(0, 11, 0));
        Assert.Equal(["source=noisegrad", "base_member=0", "weight_noise_sigma=0.2"], MapSource.NoiseGrad.Describe(0, 11, 5));
        Assert.Equal(["source=fusiongrad", "base_member=0", "input_noise_sigma=0.15*range", "weight_noise_sigma=0.2"], MapSource.FusionGrad.Describe(0, 3, 0));

        // TTA: the list, which depends on n and (beyond 6) on the seed
        var three = MapSource.Tta.Describe(0, 3, 0);
        Assert.Contains("augmentations=none@1,flip@1,none@0.9", three);
        Assert.Contains("stored_maps=augmented_geometry", three);
        var eleven = MapSource.Tta.Describe(0, 11, 0);
        Assert.Contains(eleven, l => l.StartsWith("augmentations=none@1,flip@1,none@0.9,flip@0.9,none@1.1,flip@1.1,none@", StringComparison.Ordinal));
        Assert.NotEqual(eleven, MapSource.Tta.Describe(0, 11, 1));
        Assert.Equal(TestTimeAugmentation.List(11, 0).Select(a => a.Describe()), eleven.Single(l => l.StartsWith("augmentations=", StringComparison.Ordinal))["augmentations=".Length..].Split(','));

        // MC-dropout: p
        Assert.Contains("dropout=0.25", MapSource.McDropout.Describe(0, 3, 0, 0.25));
        Assert.NotEqual(MapSource.McDropout.Describe(0, 3, 0, 0.25), MapSource.McDropout.Describe(0, 3, 0, 0.5));
    }

    private static StudySettings Tiny(string name, double dropout) => new()
    {
        Out = Path.Combine(Chorus.Testing.TestPaths.TempDir(), name),
        Synth = new SynthBirdsOptions(4, Side, 400, 0.3, 0),
        ImageSize = Side,
        Training = new TrainingOptions(Members: Members, Epochs: 3, PretrainEpochs: 10),
        Backbone = new BackboneSpec(Dropout: dropout),
                ExplainCount = Explained,
        Methods = [Saliency.CliName, InputXGradient.CliName],
        Threads = 1,
    };

    private static double Pearson(SaliencyMap a, SaliencyMap b) => Chorus.Testing.TestStats.Pearson(a.Values, b.Values);
}
