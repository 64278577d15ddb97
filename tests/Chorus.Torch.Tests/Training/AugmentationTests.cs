using System.Text.Json;
using Chorus.Data.Imaging;
using Chorus.Data.Transforms;
using Chorus.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Training;

[Collection("Sequential")]
public class AugmentationTests
{
    private static readonly AugmentationOptions FlipOnly = AugmentationOptions.None with { Flip = true };

    [Fact]
    public void Apply_None_ReturnsBatchUnchangedAndDrawsNothing()
    {
        // Given
        using var x = Batch(8, 3, 12, 12, seed: 1);
        using var g = new Generator(5);
        using var fresh = new Generator(5);

        // When
        using var y = Augmentation.Apply(x, AugmentationOptions.None, g);

        // Then
        Assert.True(Same(y, x));
        using var scope = NewDisposeScope();
        Assert.True(Same(rand([4], generator: g), rand([4], generator: fresh)), "None must not consume random numbers");
    }

    [Fact]
    public void Apply_SameSeed_SameBatch_DifferentSeed_DifferentBatch()
    {
        // Given
        using var x = Batch(16, 3, 16, 16, seed: 2);

        // When
        using var a = Augment(x, AugmentationOptions.Standard, Augmentation.GeneratorSeed(3, 0, 1));
        using var b = Augment(x, AugmentationOptions.Standard, Augmentation.GeneratorSeed(3, 0, 1));
        using var otherSeed = Augment(x, AugmentationOptions.Standard, Augmentation.GeneratorSeed(4, 0, 1));
        using var otherMember = Augment(x, AugmentationOptions.Standard, Augmentation.GeneratorSeed(3, 1, 1));
        using var otherEpoch = Augment(x, AugmentationOptions.Standard, Augmentation.GeneratorSeed(3, 0, 2));

        // Then
        Assert.True(Same(a, b), "same seed must give the same batch");
        Assert.False(a.allclose(otherSeed), "another seed must give another batch");
        Assert.False(a.allclose(otherMember), "another member must give another batch");
        Assert.False(a.allclose(otherEpoch), "another epoch must give another batch");
        Assert.False(a.allclose(x), "Standard must change the batch");
        Assert.Equal(x.shape, a.shape);
        Assert.True(a.min().item<float>() >= 0 && a.max().item<float>() <= 1, "values stay in [0, 1]");
    }

    [Fact]
    public void Apply_FlipOnly_EqualsTheFlippedImages()
    {
        // Given
        using var x = Batch(32, 3, 10, 14, seed: 3);
        using var g = new Generator(11);
        var draw = Augmentation.Sample(FlipOnly, 32, g);

        // When
        using var y = Augmentation.Apply(x, FlipOnly, draw);

        // Then
        Assert.Contains(true, draw.Flip);
        Assert.Contains(false, draw.Flip);
        for (var i = 0; i < 32; i++)
        {
            using var scope = NewDisposeScope();
            var expected = draw.Flip[i] ? x[i].flip(2) : x[i];
            Assert.True(Same(y[i], expected), $"image {i} (flip {draw.Flip[i]})");
        }
    }

    [Fact]
    public void Apply_Rotate90_EqualsRot90()
    {
        // Given: 90° counter-clockwise on an even size maps pixel centres onto pixel centres
        using var x = Batch(2, 3, 8, 8, seed: 4);
        var options = AugmentationOptions.None with { MaxRotationDegrees = 90 };
        var draw = Draw(2, rotation: 90);

        // When
        using var y = Augmentation.Apply(x, options, draw);
        using var expected = x.rot90(1, (2, 3));

        // Then
        Assert.True(y.allclose(expected, rtol: 0, atol: 1e-5), "rotation must be counter-clockwise as displayed");
    }

    [Fact]
    public void Apply_Affine_MatchesGeometricTransformOnTheSameImage()
    {
        // Given: one RGB image, as bytes and as a [1,3,H,W] tensor in [0, 1]
        const int W = 20, H = 16;
        var rgb = new RgbImage(W, H);
        new Random(6).NextBytes(rgb.Pixels);
        var planar = new float[3 * W * H];
        GeometricTransform.Identity(W, H).ApplyToPlanar(rgb, planar);
        using var x = tensor(planar, [1, 3, H, W]);
        var options = new AugmentationOptions(false, 30, 0.3, 0.2, 0, 0, 0);
        var draw = Draw(1, rotation: 17, scale: 1.2, tx: 0.05, ty: -0.1);

        // When
        using var y = Augmentation.Apply(x, options, draw);
        var expected = new float[3 * W * H];
        GeometricTransform.Affine(W, H, 17, 1.2, 0.05 * W, -0.1 * H).ApplyToPlanar(rgb, expected);

        // Then
        var actual = y.data<float>().ToArray();
        var worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    [Fact]
    public void Apply_Colour_FollowsColorJitterFormulas()
    {
        // Given
        using var x = Batch(2, 3, 6, 6, seed: 7);
        var brightness = Draw(2) with { Brightness = [0.5, 1.5] };
        var desaturate = Draw(2) with { Saturation = [0, 1] };

        // When
        using var bright = Augmentation.Apply(x, AugmentationOptions.None with { Brightness = 0.5 }, brightness);
        using var gray = Augmentation.Apply(x, AugmentationOptions.None with { Saturation = 1 }, desaturate);

        // Then
        using var scope = NewDisposeScope();
        Assert.True(bright[0].allclose(x[0] * 0.5), "factor 0.5 halves");
        Assert.True(bright[1].allclose((x[1] * 1.5).clamp(0, 1)), "factor 1.5, clamped");
        Assert.True(gray[0][0].allclose(gray[0][1]) && gray[0][1].allclose(gray[0][2]), "saturation 0 gives gray");
        Assert.True(gray[1].allclose(x[1]), "saturation 1 keeps the image");
    }

    [Fact]
    public void Apply_Standard_LeavesOnlyTheResult()
    {
        // Given
        using var x = Batch(4, 3, 8, 8, seed: 8);
        using var g = new Generator(9);

        // When
        DisposeScopeManager.Statistics.Reset();
        var y = Augmentation.Apply(x, AugmentationOptions.Standard, g);
        var liveWithResult = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        y.Dispose();

        // Then
        Assert.Equal(1, liveWithResult);
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Options_Validate_RejectsOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => (AugmentationOptions.None with { MaxScale = 1 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (AugmentationOptions.None with { Brightness = -0.1 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions(Augmentation: AugmentationOptions.None with { MaxTranslate = double.NaN }).Validate());
        Assert.Same(AugmentationOptions.Standard, AugmentationOptions.Parse("Standard"));
        Assert.Throws<ArgumentException>(() => AugmentationOptions.Parse("heavy"));
    }

    [Fact]
    public void TrainingOptions_WithoutAugmentation_SerialiseAsBefore()
    {
        // The run fingerprint hashes this JSON: without augmentation it must not mention it, so old run folders still resume.
        var json = JsonSerializer.Serialize(new TrainingOptions());
        Assert.DoesNotContain("Augmentation", json, StringComparison.Ordinal);
        Assert.Contains("\"Augmentation\":{\"Flip\":true", JsonSerializer.Serialize(new TrainingOptions(Augmentation: AugmentationOptions.Standard)), StringComparison.Ordinal);
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    private static Tensor Batch(int n, int c, int h, int w, int seed)
    {
        using var g = new Generator((ulong)seed);
        return rand([n, c, h, w], generator: g);
    }

    private static Tensor Augment(Tensor x, AugmentationOptions options, ulong seed)
    {
        using var g = new Generator(seed);
        return Augmentation.Apply(x, options, g);
    }

    private static AugmentationDraw Draw(int n, double rotation = 0, double scale = 1, double tx = 0, double ty = 0) => new(
        new bool[n],
        Enumerable.Repeat(rotation, n).ToArray(),
        Enumerable.Repeat(scale, n).ToArray(),
        Enumerable.Repeat(tx, n).ToArray(),
        Enumerable.Repeat(ty, n).ToArray(),
        Enumerable.Repeat(1.0, n).ToArray(),
        Enumerable.Repeat(1.0, n).ToArray(),
        Enumerable.Repeat(1.0, n).ToArray());
}
