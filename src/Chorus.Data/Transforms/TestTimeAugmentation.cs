using System.Globalization;
using Chorus.Explanations;

namespace Chorus.Data.Transforms;

/// <summary>
/// One test-time augmentation of a square S×S image: a zoom by <see cref="Scale"/> about the image centre, then, when
/// <see cref="Flip"/>, a horizontal mirror. <see cref="AugmentImages"/> makes the augmented image; <see cref="MapBack"/>
/// brings a map made on the augmented image back to the original image's geometry, so maps of different augmentations
/// can be averaged and scored against the original regions.
/// </summary>
/// <remarks>
/// Coordinates are pixel indices (x to the right, y down; the centre of the image is c = ((S − 1)/2, (S − 1)/2)).
/// Zoom: augmented(u) = original(c + (u − c)/s), so s &gt; 1 zooms in (content grows away from the centre) and s &lt; 1
/// zooms out. Mirror: x ↦ S − 1 − x. Images are sampled bilinearly with border clamping (as <c>grid_sample</c> with
/// <c>padding_mode="border"</c>); maps back bilinearly with zeros outside the augmented map: original_map(p) =
/// augmented_map(mirror?(c + s(p − c))). At <see cref="Scale"/> 1 both are exact copies, so flips round-trip bit for bit.
/// </remarks>
/// <param name="Flip">Mirror horizontally after the zoom.</param>
/// <param name="Scale">Zoom factor s about the centre (positive; &gt; 1 zooms in).</param>
public readonly record struct TestTimeAugmentation(bool Flip, double Scale)
{
    /// <summary>The smallest scale of the grid, and of the range the extra scales are drawn from.</summary>
    public const double MinScale = 0.9;

    /// <summary>The largest scale of the grid, and of the range the extra scales are drawn from.</summary>
    public const double MaxScale = 1.1;

    /// <summary>Added to the study seed (with the augmentation's index) to seed the scale of an augmentation beyond the grid.</summary>
    public const int ScaleSeedOffset = 15_485_863;

    /// <summary>The grid, in list order: (no flip, 1) — the identity — (flip, 1), (no flip, 0.9), (flip, 0.9), (no flip, 1.1), (flip, 1.1).</summary>
    public static IReadOnlyList<TestTimeAugmentation> Grid { get; } =
    [
        new(false, 1), new(true, 1), new(false, MinScale), new(true, MinScale), new(false, MaxScale), new(true, MaxScale),
    ];

    /// <summary>Whether this augmentation leaves the image as it is.</summary>
    public bool IsIdentity => !Flip && Scale == 1;

    /// <summary>
    /// The first <paramref name="count"/> augmentations: the <see cref="Grid"/> first (identity first); augmentation i ≥ 6
    /// mirrors when i is odd and zooms by a scale drawn uniformly from [<see cref="MinScale"/>, <see cref="MaxScale"/>)
    /// by <c>new Random(seed + ScaleSeedOffset + i)</c> (the low 32 bits of the sum; the same list for the same seed).
    /// </summary>
    /// <param name="count">How many (n, the ensemble size); at least 1.</param>
    /// <param name="seed">The study seed.</param>
    public static IReadOnlyList<TestTimeAugmentation> List(int count, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var list = new List<TestTimeAugmentation>(count);
        for (var i = 0; i < count; i++)
        {
            if (i < Grid.Count)
            {
                list.Add(Grid[i]);
                continue;
            }

            var random = new Random(unchecked((int)seed + ScaleSeedOffset + i));
            list.Add(new TestTimeAugmentation(i % 2 == 1, MinScale + ((MaxScale - MinScale) * random.NextDouble())));
        }

        return list;
    }

    /// <summary>A short, exact name: <c>none@1</c>, <c>flip@0.9</c>, <c>flip@1.0537…</c> (round-trip formatting of the scale).</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{(Flip ? "flip" : "none")}@{Scale:R}");

    /// <summary>
    /// The augmented images of planar images <paramref name="pixels"/> ([N, <paramref name="channels"/>, S, S], as
    /// <c>RunData.ExplainedImages</c> gives them): each channel zoomed about the centre (bilinear, border clamped), then
    /// mirrored when <see cref="Flip"/>. Returns a new array; the input is not changed.
    /// </summary>
    /// <param name="pixels">The images, planar.</param>
    /// <param name="channels">Channels per image.</param>
    /// <param name="size">Side S of the square images.</param>
    public float[] AugmentImages(float[] pixels, int channels, int size)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var plane = size * size;
        if (pixels.Length % ((long)channels * plane) != 0)
        {
            throw new ArgumentException($"Planar images of {channels}×{size}×{size} need a multiple of {channels * plane} values, got {pixels.Length}.", nameof(pixels));
        }

        var result = new float[pixels.Length];
        for (var start = 0; start < pixels.Length; start += plane)
        {
            AugmentPlane(pixels.AsSpan(start, plane), result.AsSpan(start, plane), size);
        }

        return result;
    }

    /// <summary>One S×S plane (row-major) augmented into <paramref name="destination"/>: bilinear, border clamped.</summary>
    public void AugmentPlane(ReadOnlySpan<float> source, Span<float> destination, int size)
    {
        Check(source.Length, destination.Length, size);
        CheckScale();
        var c = (size - 1) / 2.0;
        for (var v = 0; v < size; v++)
        {
            for (var u = 0; u < size; u++)
            {
                // Mirror first (the mirror commutes with a zoom about the centre), then read the original.
                var qx = Flip ? size - 1 - u : u;
                if (Scale == 1)
                {
                    destination[(v * size) + u] = source[(v * size) + qx];
                    continue;
                }

                var sx = c + ((qx - c) / Scale);
                var sy = c + ((v - c) / Scale);
                destination[(v * size) + u] = SampleClamped(source, size, sx, sy);
            }
        }
    }

    /// <summary>
    /// A map made on the augmented image, brought back to the original image's geometry: original_map(p) =
    /// augmented_map(mirror?(c + s(p − c))), bilinear, zero where that point falls outside the augmented map.
    /// </summary>
    /// <exception cref="ArgumentException">The map is not square.</exception>
    public SaliencyMap MapBack(SaliencyMap augmented)
    {
        ArgumentNullException.ThrowIfNull(augmented);
        if (augmented.Height != augmented.Width)
        {
            throw new ArgumentException($"Test-time augmentation works on square maps; got {augmented.Height}×{augmented.Width}.", nameof(augmented));
        }

        CheckScale();
        var size = augmented.Width;
        var source = augmented.Values;
        var result = new float[source.Length];
        var c = (size - 1) / 2.0;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                if (Scale == 1)
                {
                    result[(y * size) + x] = source[(y * size) + (Flip ? size - 1 - x : x)];
                    continue;
                }

                var qx = c + (Scale * (x - c));
                var qy = c + (Scale * (y - c));
                if (Flip)
                {
                    qx = size - 1 - qx;
                }

                result[(y * size) + x] = SampleZeros(source, size, qx, qy);
            }
        }

        return new SaliencyMap(size, size, result);
    }

    private static float SampleClamped(ReadOnlySpan<float> source, int size, double x, double y)
    {
        x = Math.Clamp(x, 0, size - 1);
        y = Math.Clamp(y, 0, size - 1);
        var x0 = (int)Math.Floor(x);
        var y0 = (int)Math.Floor(y);
        var x1 = Math.Min(x0 + 1, size - 1);
        var y1 = Math.Min(y0 + 1, size - 1);
        var wx = (float)(x - x0);
        var wy = (float)(y - y0);
        var top = source[(y0 * size) + x0] + ((source[(y0 * size) + x1] - source[(y0 * size) + x0]) * wx);
        var bottom = source[(y1 * size) + x0] + ((source[(y1 * size) + x1] - source[(y1 * size) + x0]) * wx);
        return top + ((bottom - top) * wy);
    }

    private static float SampleZeros(float[] source, int size, double x, double y)
    {
        var x0 = (int)Math.Floor(x);
        var y0 = (int)Math.Floor(y);
        var wx = (float)(x - x0);
        var wy = (float)(y - y0);
        float At(int xi, int yi) => xi < 0 || yi < 0 || xi >= size || yi >= size ? 0f : source[(yi * size) + xi];
        var top = At(x0, y0) + ((At(x0 + 1, y0) - At(x0, y0)) * wx);
        var bottom = At(x0, y0 + 1) + ((At(x0 + 1, y0 + 1) - At(x0, y0 + 1)) * wx);
        return top + ((bottom - top) * wy);
    }

    private static void Check(int source, int destination, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (source != size * size || destination != size * size)
        {
            throw new ArgumentException($"A {size}×{size} plane needs {size * size} values; got {source} in and {destination} out.");
        }
    }

    private void CheckScale()
    {
        if (!(Scale > 0) || !double.IsFinite(Scale))
        {
            throw new InvalidOperationException($"A test-time augmentation needs a positive, finite scale; got {Scale}.");
        }
    }
}
