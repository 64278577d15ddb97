using Chorus.Data.Imaging;

namespace Chorus.Data.Tests.Imaging;

public class ImageResizeTests
{
    [Theory]
    [InlineData(32, 64)]
    [InlineData(32, 96)]
    [InlineData(20, 57)]
    [InlineData(33, 33)]
    public void Nearest_Upsample_KeepsEveryKeypointPixel(int from, int to)
    {
        // Given: a mask with a few isolated pixels
        var mask = new GrayImage(from, from);
        var points = new[] { (0, 0), (from - 1, from - 1), (5, 3), (from / 2, 7) };
        foreach (var (x, y) in points)
        {
            mask.Pixels[(y * from) + x] = 255;
        }

        // When
        var big = ImageResize.Nearest(mask, to, to);

        // Then: the output pixel containing each pixel's centre, mapped like the image, is inside
        foreach (var (x, y) in points)
        {
            var u = (int)Math.Floor((x + 0.5) * to / from);
            var v = (int)Math.Floor((y + 0.5) * to / from);
            Assert.True(big.IsInside(u, v), $"({x},{y}) -> ({u},{v}) lost");
        }

        Assert.True(big.Pixels.All(p => p is 0 or 255));
    }

    [Fact]
    public void Nearest_DownsampleByTwo_KeepsBlockContainingKeypoint()
    {
        var mask = new GrayImage(64, 64);
        for (var y = 10; y < 14; y++)
        {
            for (var x = 20; x < 24; x++)
            {
                mask.Pixels[(y * 64) + x] = 1;
            }
        }

        var small = ImageResize.Nearest(mask, 32, 32);

        Assert.True(small.IsInside(11, 6)); // keypoint (22.5, 12.5) -> (11.25, 6.25)
        Assert.Equal(4, small.CountNonZero());
    }

    [Fact]
    public void Bilinear_SameSize_IsIdentity()
    {
        var img = new RgbImage(5, 4);
        new Random(3).NextBytes(img.Pixels);

        Assert.Equal(img.Pixels, ImageResize.Bilinear(img, 5, 4).Pixels);
    }

    [Fact]
    public void Bilinear_HalveWidth_AveragesPairs()
    {
        var img = new RgbImage(4, 1, [0, 0, 0, 100, 50, 10, 200, 200, 200, 0, 0, 0]);
        var planar = new float[3 * 2];

        ImageResize.BilinearToPlanar(img, 2, 1, planar, scale: 1f);

        // src x = (u + 0.5) * 2 - 0.5 = 0.5, 2.5
        Assert.Equal(new float[] { 50, 100, 25, 100, 5, 100 }, planar);
    }

    [Fact]
    public void Bilinear_Upsample_MatchesHalfPixelFormula()
    {
        var img = new RgbImage(2, 1, [0, 0, 0, 80, 160, 240]);
        var planar = new float[3 * 4];

        ImageResize.BilinearToPlanar(img, 4, 1, planar, scale: 1f);

        // src x = (u + 0.5) / 2 - 0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped to last)
        Assert.Equal(new float[] { 0, 20, 60, 80 }, planar[..4]);
    }
}
