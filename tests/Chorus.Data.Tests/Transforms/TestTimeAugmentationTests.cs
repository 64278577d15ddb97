using Chorus.Data.Transforms;
using Chorus.Explanations;

namespace Chorus.Data.Tests.Transforms;

public class TestTimeAugmentationTests
{
    private const int Size = 64;

    public static TheoryData<bool, double> Zooms => new()
    {
        { false, 0.9 },
        { true, 0.9 },
        { false, 1.1 },
        { true, 1.1 },
    };

    [Fact]
    public void List_OfThree_IsTheFirstThreeGridPoints_IdentityFirst()
    {
        // When
        var list = TestTimeAugmentation.List(3, seed: 0);

        // Then
        Assert.Equal([new(false, 1), new(true, 1), new(false, 0.9)], list);
        Assert.True(list[0].IsIdentity);
    }

    [Fact]
    public void List_OfSix_IsTheWholeGrid_Distinct()
    {
        // When
        var list = TestTimeAugmentation.List(6, seed: 5);

        // Then
        Assert.Equal([new(false, 1), new(true, 1), new(false, 0.9), new(true, 0.9), new(false, 1.1), new(true, 1.1)], list);
        Assert.Equal(6, list.Distinct().Count());
    }

    [Fact]
    public void List_OfEleven_AddsSeededScalesInRange_FlipWhenOdd_Deterministic()
    {
        // When
        var list = TestTimeAugmentation.List(11, seed: 7);
        var again = TestTimeAugmentation.List(11, seed: 7);
        var otherSeed = TestTimeAugmentation.List(11, seed: 8);

        // Then: the grid first, then five drawn scales; all distinct; the same list for the same seed, another for another
        Assert.Equal(TestTimeAugmentation.Grid, list.Take(6));
        Assert.Equal(11, list.Distinct().Count());
        for (var i = 6; i < 11; i++)
        {
            Assert.Equal(i % 2 == 1, list[i].Flip);
            Assert.InRange(list[i].Scale, TestTimeAugmentation.MinScale, TestTimeAugmentation.MaxScale);
            Assert.NotEqual(1.0, list[i].Scale);
        }

        Assert.Equal(list, again);
        Assert.Equal(list.Take(6), otherSeed.Take(6));
        Assert.NotEqual(list.Skip(6), otherSeed.Skip(6));
        Assert.Equal("none@1", list[0].Describe());
        Assert.Equal("flip@0.9", list[3].Describe());
    }

    [Fact]
    public void Flip_RoundTripsExactly_ForImagesAndMaps()
    {
        // Given: random values (no structure that could hide an off-by-one)
        var random = new Random(11);
        var image = Enumerable.Range(0, 2 * 3 * Size * Size).Select(_ => (float)random.NextDouble()).ToArray();
        var map = new SaliencyMap(Size, Size, [.. Enumerable.Range(0, Size * Size).Select(_ => (float)random.NextDouble() - 0.5f)]);
        var flip = new TestTimeAugmentation(true, 1);

        // When
        var twice = flip.AugmentImages(flip.AugmentImages(image, 3, Size), 3, Size);
        var flippedMap = new float[Size * Size];
        flip.AugmentPlane(map.Values, flippedMap, Size);
        var back = flip.MapBack(new SaliencyMap(Size, Size, flippedMap));

        // Then: bit for bit; and the flip really mirrors (pixel x goes to S − 1 − x)
        Assert.Equal(image, twice);
        Assert.Equal(map.Values, back.Values);
        Assert.Equal(map[5, 3], flippedMap[(5 * Size) + Size - 1 - 3]);
        Assert.Equal(map.Values, new TestTimeAugmentation(false, 1).MapBack(map).Values);
    }

    [Theory]
    [MemberData(nameof(Zooms))]
    public void GaussianBlob_AugmentedThenMappedBack_StaysWhereItWas(bool flip, double scale)
    {
        // Given: a blob away from the centre
        var blob = Blob(24, 38, sigma: 3);
        var augmentation = new TestTimeAugmentation(flip, scale);

        // When
        var augmented = new float[Size * Size];
        augmentation.AugmentPlane(blob, augmented, Size);
        var back = augmentation.MapBack(new SaliencyMap(Size, Size, augmented));

        // Then: the same place (centre of mass within half a pixel) and the same shape
        var (x0, y0) = CentreOfMass(blob);
        var (x1, y1) = CentreOfMass(back.Values);
        Assert.InRange(Math.Abs(x1 - x0), 0, 0.5);
        Assert.InRange(Math.Abs(y1 - y0), 0, 0.5);
        Assert.True(Correlation(blob, back.Values) > 0.95, $"correlation {Correlation(blob, back.Values)}");

        // And: in between, the blob sat where the augmentation puts the point: c + s(p − c), mirrored when flipped
        var c = (Size - 1) / 2.0;
        var (ax, ay) = CentreOfMass(augmented);
        var expectedX = c + (scale * (24 - c));
        Assert.InRange(Math.Abs(ax - (flip ? Size - 1 - expectedX : expectedX)), 0, 0.5);
        Assert.InRange(Math.Abs(ay - (c + (scale * (38 - c)))), 0, 0.5);
    }

    [Fact]
    public void Augment_FeatureAtKnownPlace_LandsWhereTheZoomAndMirrorPutIt()
    {
        // Given: an RGB image, black except a red 2×2 square at x 10–11, y 50–51 (centre (10.5, 50.5)) and a constant blue
        var image = new float[3 * Size * Size];
        foreach (var (x, y) in new[] { (10, 50), (11, 50), (10, 51), (11, 51) })
        {
            image[(y * Size) + x] = 1;
        }

        Array.Fill(image, 0.25f, 2 * Size * Size, Size * Size);
        var c = (Size - 1) / 2.0;

        // When: zoomed in by 1.1 and mirrored
        var augmented = new TestTimeAugmentation(true, 1.1).AugmentImages(image, 3, Size);

        // Then: the square's centre moved to c + 1.1·(p − c) = (8.4, 52.4), then mirrored to x = 63 − 8.4 = 54.6; the
        // one pixel that reads the square only is (8, 52) before the mirror, (55, 52) after it; green stays empty and
        // blue constant (border clamping: no dark edge)
        var red = augmented.AsSpan(0, Size * Size).ToArray();
        var (rx, ry) = CentreOfMass(red);
        Assert.InRange(rx, (Size - 1 - (c + (1.1 * (10.5 - c)))) - 0.3, (Size - 1 - (c + (1.1 * (10.5 - c)))) + 0.3);
        Assert.InRange(ry, c + (1.1 * (50.5 - c)) - 0.3, c + (1.1 * (50.5 - c)) + 0.3);
        var brightest = Array.IndexOf(red, red.Max());
        Assert.Equal((55, 52), (brightest % Size, brightest / Size));
        Assert.Equal(1f, red[brightest]);
        Assert.All(augmented.AsSpan(Size * Size, Size * Size).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(augmented.AsSpan(2 * Size * Size, Size * Size).ToArray(), v => Assert.Equal(0.25f, v, 6));

        // And: zoomed out by 0.9 (no mirror) it moves towards the centre, to c + 0.9·(p − c) = (12.6, 48.6)
        var (ox, oy) = CentreOfMass(new TestTimeAugmentation(false, 0.9).AugmentImages(image, 3, Size).AsSpan(0, Size * Size).ToArray());
        Assert.InRange(ox, 12.6 - 0.3, 12.6 + 0.3);
        Assert.InRange(oy, 48.6 - 0.3, 48.6 + 0.3);
    }

    [Fact]
    public void MapBack_ZoomedIn_LeavesZerosWhereTheAugmentedImageNeverLooked()
    {
        // Given: a map that is 1 everywhere, made on an image zoomed in by 1.1 (the border of the original was cut off)
        var ones = new SaliencyMap(Size, Size, [.. Enumerable.Repeat(1f, Size * Size)]);

        // When
        var back = new TestTimeAugmentation(false, 1.1).MapBack(ones);

        // Then: the corners map outside the augmented map (zero), the centre inside (one)
        Assert.Equal(0f, back[0, 0]);
        Assert.Equal(0f, back[Size - 1, Size - 1]);
        Assert.Equal(1f, back[Size / 2, Size / 2]);
    }

    private static float[] Blob(double cx, double cy, double sigma)
    {
        var values = new float[Size * Size];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                values[(y * Size) + x] = (float)Math.Exp(-(((x - cx) * (x - cx)) + ((y - cy) * (y - cy))) / (2 * sigma * sigma));
            }
        }

        return values;
    }

    private static (double X, double Y) CentreOfMass(float[] values)
    {
        double sum = 0, sx = 0, sy = 0;
        for (var i = 0; i < values.Length; i++)
        {
            sum += values[i];
            sx += values[i] * (i % Size);
            sy += values[i] * (i / Size);
        }

        return (sx / sum, sy / sum);
    }

    private static double Correlation(float[] a, float[] b) => Chorus.Testing.TestStats.Pearson(a, b);
}
