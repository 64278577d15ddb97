using Chorus.Explanations;
using Chorus.Metrics;

namespace Chorus.Core.Tests.Metrics;

public class MetricTests
{
    private static readonly SaliencyMap Mask = TestMaps.Square(8, 8, 2, 3, 3);

    [Theory]
    [InlineData("iou")]
    [InlineData("iou_otsu")]
    [InlineData("iou_topk")]
    [InlineData("pointing_game")]
    [InlineData("pearson")]
    [InlineData("spearman")]
    [InlineData("auc")]
    [InlineData("relevance_mass")]
    [InlineData("relevance_rank")]
    public void Compute_MapEqualsMask_ScoresOne(string name)
    {
        // Given a map identical to the 0/1 mask
        var metric = MetricRegistry.Create(name);

        // When
        var score = metric.Compute(Mask, Mask);

        // Then
        Assert.Equal(1.0, score, 12);
        Assert.True(metric.HigherIsBetter);
    }

    [Fact]
    public void ComDistance_MapEqualsMask_IsZero()
    {
        Assert.Equal(0.0, new CentreOfMassDistance().Compute(Mask, Mask), 12);
    }

    [Fact]
    public void ComDistance_BlobShiftedBy3And4_Is5PixelsAndNormalisedByDiagonal()
    {
        // Given a 3×3 blob and the same blob shifted 4 rows down and 3 columns right (distance 5)
        var roi = TestMaps.Square(16, 20, 2, 2, 3);
        var map = TestMaps.Square(16, 20, 6, 5, 3, 7f);

        // When
        var px = new CentreOfMassDistance(normalised: false).Compute(map, roi);
        var norm = MetricRegistry.Create("com_distance").Compute(map, roi);

        // Then
        Assert.Equal(5.0, px, 12);
        Assert.Equal(5.0 / Math.Sqrt((16 * 16) + (20 * 20)), norm, 12);
        Assert.False(MetricRegistry.Create("com_distance").HigherIsBetter);
    }

    [Fact]
    public void CentreOfMass_NegativeOnlyMap_NaNForPositivePartButDefinedForAbsolute()
    {
        // Given a map whose only relevance is negative, at (1, 2)
        var map = TestMaps.Map(4, 4, (y, x) => y == 1 && x == 2 ? -3f : 0f);

        // When
        var positive = CentreOfMass.Of(map);
        var absolute = CentreOfMass.Of(map, RelevanceMass.Absolute);

        // Then
        Assert.False(positive.IsDefined);
        Assert.Equal(new PixelPoint(1, 2), absolute);
        Assert.True(double.IsNaN(new CentreOfMassDistance().Compute(map, Mask4())));
    }

    [Fact]
    public void Pearson_InvertedMap_IsMinusOne()
    {
        var inverted = TestMaps.Map(8, 8, (y, x) => 1f - Mask[y, x]);
        Assert.Equal(-1.0, new PearsonCorrelation().Compute(inverted, Mask), 12);
    }

    [Fact]
    public void Pearson_ConstantMap_IsNaN()
    {
        Assert.True(double.IsNaN(new PearsonCorrelation().Compute(TestMaps.Constant(8, 8, 2f), Mask)));
    }

    [Fact]
    public void Spearman_WithTies_MatchesHandComputation()
    {
        // Given a = [1, 2, 2, 3, 5] → ranks [1, 2.5, 2.5, 4, 5]; s = [0, 0, 1, 1, 1] → ranks [1.5, 1.5, 4, 4, 4].
        // Centred: da = [−2, −.5, −.5, 1, 2], ds = [−1.5, −1.5, 1, 1, 1]; Σda·ds = 6.25, Σda² = 9.5, Σds² = 7.5.
        var a = TestMaps.Row(1, 2, 2, 3, 5);
        var s = TestMaps.Row(0, 0, 1, 1, 1);

        // When
        var rho = new SpearmanCorrelation().Compute(a, s);

        // Then
        Assert.Equal(6.25 / Math.Sqrt(9.5 * 7.5), rho, 12); // ≈ 0.7404
    }

    [Fact]
    public void Iou_HalfOverlappingSquares_IsOneThird()
    {
        // Given two 4×4 squares sharing half their area: |∩| = 8, |∪| = 24
        var map = TestMaps.Square(10, 10, 0, 0, 4, 3f);
        var roi = TestMaps.Square(10, 10, 0, 2, 4);

        // When / Then
        Assert.Equal(1.0 / 3, new IntersectionOverUnion().Compute(map, roi), 12);
        Assert.Equal(1.0 / 3, new IntersectionOverUnion(BinarisationRule.TopKRoiArea).Compute(map, roi), 12);
        Assert.Equal(1.0 / 3, new IntersectionOverUnion(BinarisationRule.Otsu).Compute(map, roi), 12);
    }

    [Fact]
    public void Iou_ThresholdAppliesAfterMinMaxScaling()
    {
        // Given values 10, 12, 14, 16, 18 → scaled 0, .25, .5, .75, 1; t = 0.5 keeps the last three
        var map = TestMaps.Row(10, 12, 14, 16, 18);
        var roi = TestMaps.Row(0, 0, 0, 1, 1);

        // When / Then: |∩| = 2, |∪| = 3
        Assert.Equal(2.0 / 3, new IntersectionOverUnion().Compute(map, roi), 12);
        Assert.Equal(1.0, new IntersectionOverUnion(threshold: 0.7).Compute(map, roi), 12);
        Assert.Equal("iou_t0.7", new IntersectionOverUnion(threshold: 0.7).Name);
    }

    [Fact]
    public void Otsu_BimodalMap_PicksThresholdBetweenModes()
    {
        // Given 300 values near 0.2 and 100 near 0.8 (uniform ±0.05)
        var rng = new Random(1);
        var values = Enumerable.Range(0, 400)
            .Select(i => (float)((i < 300 ? 0.2 : 0.8) + ((rng.NextDouble() - 0.5) * 0.1)))
            .ToArray();

        // When
        var t = Binarisation.OtsuThreshold(values);

        // Then
        Assert.InRange(t, 0.25, 0.75);
        Assert.Equal(100, values.Count(v => v > t));
    }

    [Fact]
    public void Auc_ConstantMap_IsHalf()
    {
        Assert.Equal(0.5, new RocAuc().Compute(TestMaps.Constant(8, 8, 0.3f), Mask), 12);
    }

    [Fact]
    public void Auc_TiedScoresAcrossClasses_CountHalf()
    {
        // Given positives scored {0.5, 0.9} and negatives {0.1, 0.5}: pairs 1 + ½ + 1 + 1 = 3.5 of 4
        var map = TestMaps.Row(0.1f, 0.5f, 0.5f, 0.9f);
        var roi = TestMaps.Row(0, 1, 0, 1);

        // When / Then
        Assert.Equal(0.875, new RocAuc().Compute(map, roi), 12);
    }

    [Fact]
    public void PointingGame_MaxOutsideRoi_IsZero_AndTiesGiveShareInside()
    {
        var outside = TestMaps.Map(8, 8, (y, x) => y == 0 && x == 0 ? 5f : Mask[y, x]);
        Assert.Equal(0.0, new PointingGame().Compute(outside, Mask));

        // Given a constant map: every pixel is a maximum, 9 of 64 lie in the ROI
        Assert.Equal(9.0 / 64, new PointingGame().Compute(TestMaps.Constant(8, 8, 1f), Mask), 12);
    }

    [Fact]
    public void RelevanceMass_HalfOfPositiveMassInside_IsHalf_AndNegativesIgnored()
    {
        // Given positive mass 2 inside and 2 outside, plus a large negative value inside
        var map = TestMaps.Row(2, -10, 1, 1);
        var roi = TestMaps.Row(1, 1, 0, 0);

        // When / Then
        Assert.Equal(0.5, new RelevanceMassAccuracy().Compute(map, roi), 12);
        Assert.True(double.IsNaN(new RelevanceMassAccuracy().Compute(TestMaps.Row(0, -1, 0, 0), roi)));
    }

    [Fact]
    public void RelevanceRank_TopPixelsHalfInside_IsHalf_AndConstantMapIsAreaShare()
    {
        // Given |ROI| = 2; the top two pixels are at 0 (inside) and 3 (outside)
        var map = TestMaps.Row(9, 1, 0, 8);
        var roi = TestMaps.Row(1, 1, 0, 0);

        // When / Then
        Assert.Equal(0.5, new RelevanceRankAccuracy().Compute(map, roi), 12);
        Assert.Equal(9.0 / 64, new RelevanceRankAccuracy().Compute(TestMaps.Constant(8, 8, 1f), Mask), 12);
    }

    [Fact]
    public void TopKIntersection_FixedK_CountsShareOfTopKInside()
    {
        // Given the top 3 pixels at 0, 1 (inside) and 4 (outside)
        var map = TestMaps.Row(9, 8, 0, 0, 7, 1);
        var roi = TestMaps.Row(1, 1, 1, 0, 0, 0);

        // When / Then
        Assert.Equal(2.0 / 3, new TopKIntersection(k: 3).Compute(map, roi), 12);
        Assert.Equal(1.0, new TopKIntersection(fraction: 2.0 / 6).Compute(map, roi), 12);
    }

    [Fact]
    public void SoftRoi_UsesWeightsForMassAndHalfThresholdForSets()
    {
        // Given a soft ROI with weights 0.6 and 0.4
        var map = TestMaps.Row(1, 1, 0, 0);
        var roi = TestMaps.Row(0.6f, 0.4f, 0, 0);

        // Then: relevance mass weighs (0.6 + 0.4)/2; the pixel set is {0} only
        Assert.Equal(0.5, new RelevanceMassAccuracy().Compute(map, roi), 6);
        Assert.Equal(0.5, new IntersectionOverUnion().Compute(map, roi), 12);
    }

    public static TheoryData<string> AllNames() => [.. MetricRegistry.Names];

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Compute_SizeMismatch_ThrowsArgumentExceptionNamingSizes(string name)
    {
        var metric = MetricRegistry.Create(name);
        var e = Assert.ThrowsAny<ArgumentException>(() => metric.Compute(TestMaps.Constant(8, 7, 1f), Mask));
        Assert.Contains("8×7", e.Message);
        Assert.Contains("8×8", e.Message);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Compute_NaNInMapOrRoi_ThrowsArgumentException(string name)
    {
        var metric = MetricRegistry.Create(name);
        var bad = TestMaps.Map(8, 8, (y, x) => y == 3 && x == 4 ? float.NaN : 1f);
        var e = Assert.ThrowsAny<ArgumentException>(() => metric.Compute(bad, Mask));
        Assert.Contains("non-finite", e.Message);
        Assert.Contains("y=3, x=4", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => metric.Compute(Mask, bad));
    }

    [Fact]
    public void Registry_UnknownName_ThrowsListingKnownNames()
    {
        var e = Assert.Throws<ArgumentException>(() => MetricRegistry.Create("nope"));
        Assert.Contains("pointing_game", e.Message);
        Assert.Equal(9, MetricRegistry.CreateDefaults().Count);
    }

    private static SaliencyMap Mask4() => TestMaps.Square(4, 4, 0, 0, 2);
}
