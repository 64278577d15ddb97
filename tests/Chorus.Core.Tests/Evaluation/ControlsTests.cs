using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Explanations;

namespace Chorus.Core.Tests.Evaluation;

public class ControlsTests
{
    [Fact]
    public void CentrePrior_PeaksAtTheCentre_AndIsSymmetric()
    {
        var prior = Controls.CentrePrior(9, 13);

        Assert.Equal(1f, prior[4, 6]);
        Assert.Equal(prior[0, 0], prior[8, 12], 6);
        Assert.Equal(prior[4, 0], prior[4, 12], 6);
        Assert.True(prior[4, 3] > prior[4, 1]);

        // σ = a quarter of the shorter side: one σ (2.25 px) from the centre the value is e^(−1/2)
        Assert.Equal(Math.Exp(-0.5 * (2 * 2) / (2.25 * 2.25)), prior[4, 4], 5);
    }

    [Fact]
    public void GaussianBlur_KeepsTheMassAwayFromBorders_AndRaisesAutocorrelation()
    {
        // Given: white noise
        var noise = Noise(48, 48, seed: 1);

        // When: blurred with σ = 2
        var blurred = Controls.GaussianBlur(noise, 2);

        // Then: the same mean (a normalised kernel, mirrored borders), noise near 0 autocorrelation, blurred near 1
        Assert.Equal(noise.Values.Average(), blurred.Values.Average(), 2);
        Assert.InRange(Controls.Autocorrelation(noise), -0.1, 0.1);
        Assert.InRange(Controls.Autocorrelation(blurred), 0.85, 1.0);
        Assert.Same(noise, Controls.GaussianBlur(noise, 0));

        // A single spike spreads into a Gaussian that sums to one
        var spike = new float[21 * 21];
        spike[(10 * 21) + 10] = 1;
        var spread = Controls.GaussianBlur(new SaliencyMap(21, 21, spike), 1.5);
        Assert.Equal(1.0, spread.Values.Sum(v => (double)v), 5);
        Assert.Equal(spread[10, 7], spread[7, 10], 6);
    }

    [Fact]
    public void ChooseSigma_FindsTheBlurThatMakesMembersAsSmoothAsTheEnsemble()
    {
        // Given: noise members and an "ensemble" that is member 0 blurred with σ = 3
        var maps = Enumerable.Range(0, 4).Select(j => (IReadOnlyList<SaliencyMap>)[.. Enumerable.Range(0, 6).Select(i => Noise(32, 32, seed: (10 * j) + i))]).ToList();
        var blurFirst = new BlurFirstAggregator(3);

        // When / Then: the grid's σ = 3 matches
        Assert.Equal(3, Controls.ChooseSigma(maps, blurFirst, [0, 1, 2, 3, 4, 5]));
        Assert.Equal(0, Controls.ChooseSigma(maps, new BlurFirstAggregator(0), [0, 1, 2]));
    }

    [Fact]
    public void Smoothing_IsCrossFitted_AnImagesOwnMapsNeverChooseItsSigma()
    {
        // Given: maps of 6 images
        var maps = Enumerable.Range(0, 3).Select(j => (IReadOnlyList<SaliencyMap>)[.. Enumerable.Range(0, 6).Select(i => Noise(24, 24, seed: (10 * j) + i))]).ToList();
        var aggregator = new BlurFirstAggregator(2);
        var (_, sigmaEven, sigmaOdd) = Controls.Smoothing(maps, aggregator);

        // When: the even images' maps are replaced by something else entirely
        var changed = maps.Select(m => (IReadOnlyList<SaliencyMap>)[.. m.Select((map, i) => i % 2 == 0 ? Controls.GaussianBlur(map, 8) : map)]).ToList();
        var (blurred, sigmaEven2, sigmaOdd2) = Controls.Smoothing(changed, aggregator);

        // Then: the σ used on the even images, fitted on the odd ones, is unchanged; the odd images' σ moved
        Assert.Equal(sigmaEven, sigmaEven2);
        Assert.NotEqual(sigmaOdd, sigmaOdd2);
        Assert.Equal(Controls.GaussianBlur(changed[1][0], sigmaEven2).Values, blurred[1][0].Values);
    }

    [Fact]
    public void For_WithTrainingMaps_SigmaIsChosenWithoutTestImages()
    {
        // Given: members' maps of 4 training images, whose ensemble is member 0 blurred with σ = 3
        var train = Enumerable.Range(0, 3).Select(j => (IReadOnlyList<SaliencyMap>)[.. Enumerable.Range(0, 4).Select(i => Noise(24, 24, seed: 100 + (10 * j) + i))]).ToList();
        var aggregator = new BlurFirstAggregator(3);

        // and two unrelated sets of test maps: white noise, and maps already very smooth
        var noisy = Enumerable.Range(0, 3).Select(j => (IReadOnlyList<SaliencyMap>)[.. Enumerable.Range(0, 6).Select(i => Noise(24, 24, seed: (10 * j) + i))]).ToList();
        var smooth = noisy.Select(m => (IReadOnlyList<SaliencyMap>)[.. m.Select(map => Controls.GaussianBlur(map, 8))]).ToList();

        // When
        var a = Controls.For(noisy, aggregator, train);
        var b = Controls.For(smooth, aggregator, train);

        // Then: one σ, from the training maps alone, whatever the test maps are; every test map blurred with it
        Assert.Equal(3, a.SigmaEven);
        Assert.Equal(a.SigmaEven, a.SigmaOdd);
        Assert.Equal(a.SigmaEven, b.SigmaEven);
        Assert.Equal("4 training images", a.FittedOn);
        Assert.Equal(Controls.GaussianBlur(noisy[2][5], 3).Values, a.Blurred[2][5].Values);

        // while cross-fitting on the test maps themselves (no training maps) would have chosen differently for the two sets
        Assert.NotEqual(Controls.For(noisy, aggregator).SigmaEven, Controls.For(smooth, aggregator).SigmaEven);
        Assert.Throws<ArgumentException>(() => Controls.For(noisy, aggregator, train.Take(2).ToList()));
    }

    [Fact]
    public void ControlComparison_EnsBetter_FollowsTheMetricsDirection()
    {
        var higher = ResultTables.Compare("p", "m", MetricEvaluation.FromScores("pearson", true, [0.5, 0.6], [0.1, 0.2]), 0);
        var lower = ResultTables.Compare("p", "m", MetricEvaluation.FromScores("com_distance", false, [0.5, 0.6], [0.1, 0.2]), 0);

        Assert.True(new ControlComparison("smoothing", "", higher).EnsBetter);
        Assert.False(new ControlComparison("smoothing", "", lower).EnsBetter);
    }

    private static SaliencyMap Noise(int h, int w, int seed)
    {
        var random = new Random(seed);
        return new SaliencyMap(h, w, [.. Enumerable.Range(0, h * w).Select(_ => (float)random.NextDouble())]);
    }

    // An ensemble map that is member 0 blurred: its autocorrelation is known.
    private sealed class BlurFirstAggregator(double sigma) : IEnsembleAggregator
    {
        public string Name => "blur-first";

        public SaliencyMap Aggregate(IReadOnlyList<SaliencyMap> members) => Controls.GaussianBlur(members[0], sigma);
    }
}
