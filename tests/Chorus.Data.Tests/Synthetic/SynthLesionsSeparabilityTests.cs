using Chorus.Data.Imaging;
using Chorus.Data.Synthetic;
using Xunit.Abstractions;

namespace Chorus.Data.Tests.Synthetic;

/// <summary>
/// Is SynthLesions learnable for the right reason? Simple hand-made features measured on the rendered image and mask
/// must separate benign from malignant when they look at the lesion (border, colours), and must not when they look at
/// nuisances (skin tone, hair). Everything is seeded, so the numbers are fixed; thresholds leave wide margins.
/// </summary>
public class SynthLesionsSeparabilityTests(ITestOutputHelper output)
{
    private const int Count = 400;

    private static readonly Lazy<LesionSample[]> Samples = new(() =>
    {
        var options = new SynthLesionsOptions(Count: Count, ImageSize: 64, Seed: 5);
        return Enumerable.Range(0, Count).AsParallel().AsOrdered().Select(i => SynthLesions.Render(options, i)).ToArray();
    });

    [Fact]
    public void LesionFeatures_SeparateTheClasses_ButNoSingleOneIsPerfect()
    {
        // Given
        var samples = Samples.Value;

        // When
        var border = Auc(samples, BorderRoughness);
        var colour = Auc(samples, ColourSpread);
        output.WriteLine($"AUC border roughness (mask) = {border:F3}, colour spread inside mask = {colour:F3}");

        // Then: clearly above chance (0.5), yet not trivial (< 1): the cues overlap by design
        Assert.InRange(border, 0.70, 0.99);
        Assert.InRange(colour, 0.70, 0.99);
    }

    [Fact]
    public void NuisanceFeatures_DoNotSeparateTheClasses()
    {
        // Given
        var samples = Samples.Value;

        // When: measured on the image (skin brightness outside the mask) and from the draws (hair count, ruler, tone)
        var skin = Auc(samples, SkinBrightness);
        var tone = Auc(samples, s => s.Distractors.SkinTone);
        var hairs = Auc(samples, s => s.Distractors.Hairs);
        var vignette = Auc(samples, s => s.Distractors.Vignette);
        var size = Auc(samples, s => s.Mask.CountNonZero());
        output.WriteLine($"AUC skin brightness = {skin:F3}, skin tone = {tone:F3}, hairs = {hairs:F3}, vignette = {vignette:F3}, lesion area = {size:F3}");

        // Then: near chance (a 400-image sample has a standard error of about 0.03)
        Assert.InRange(skin, 0.40, 0.60);
        Assert.InRange(tone, 0.40, 0.60);
        Assert.InRange(hairs, 0.40, 0.60);
        Assert.InRange(vignette, 0.40, 0.60);
        Assert.InRange(size, 0.40, 0.60);
    }

    [Fact]
    public void Distractors_EqualFrequencyInBothClasses()
    {
        // Each distractor's frequency is the same in both classes within sampling error (400 images).
        var samples = Samples.Value;
        var byClass = samples.GroupBy(s => s.ClassIndex).OrderBy(g => g.Key).ToList();
        Assert.Equal(2, byClass.Count);
        var rulers = byClass.Select(g => g.Average(s => s.Distractors.Ruler ? 1.0 : 0.0)).ToList();
        var withHair = byClass.Select(g => g.Average(s => s.Distractors.Hairs > 0 ? 1.0 : 0.0)).ToList();
        output.WriteLine($"ruler: {rulers[0]:F2} vs {rulers[1]:F2}; hair: {withHair[0]:F2} vs {withHair[1]:F2}");
        Assert.InRange(Math.Abs(rulers[0] - rulers[1]), 0, 0.12);
        Assert.InRange(Math.Abs(withHair[0] - withHair[1]), 0, 0.12);
        Assert.InRange(rulers.Average(), 0.15, 0.45);
        Assert.InRange(withHair.Average(), 0.4, 0.7);
    }

    /// <summary>Area under the ROC curve of <paramref name="feature"/> for malignant (class 1) vs benign (Mann–Whitney U).</summary>
    internal static double Auc(IReadOnlyList<LesionSample> samples, Func<LesionSample, double> feature)
    {
        var pos = samples.Where(s => s.ClassIndex == 1).Select(feature).ToArray();
        var neg = samples.Where(s => s.ClassIndex == 0).Select(feature).ToArray();
        double wins = 0;
        foreach (var p in pos)
        {
            foreach (var q in neg)
            {
                wins += p > q ? 1 : p == q ? 0.5 : 0;
            }
        }

        return wins / (pos.Length * (double)neg.Length);
    }

    /// <summary>
    /// Border roughness from the mask alone: the radial distance of boundary pixels from the centroid, minus its
    /// smooth (low-order Fourier, k ≤ 2) fit, as a fraction of the mean radius. Ellipses of any elongation score ~0.
    /// </summary>
    internal static double BorderRoughness(LesionSample s)
    {
        var m = s.Mask;
        double sx = 0, sy = 0;
        var area = 0;
        for (var y = 0; y < m.Height; y++)
        {
            for (var x = 0; x < m.Width; x++)
            {
                if (m[x, y] != 0)
                {
                    sx += x + 0.5;
                    sy += y + 0.5;
                    area++;
                }
            }
        }

        var cx = sx / area;
        var cy = sy / area;
        const int bins = 64;
        var radius = new double[bins];
        for (var y = 0; y < m.Height; y++)
        {
            for (var x = 0; x < m.Width; x++)
            {
                if (m[x, y] == 0)
                {
                    continue;
                }

                var dx = x + 0.5 - cx;
                var dy = y + 0.5 - cy;
                var b = (int)((Math.Atan2(dy, dx) + Math.PI) / (2 * Math.PI) * bins) % bins;
                radius[b] = Math.Max(radius[b], Math.Sqrt((dx * dx) + (dy * dy)));
            }
        }

        // Least-squares fit of a0 + Σ_{k≤2} (a_k cos kθ + b_k sin kθ) by orthogonality on the uniform grid.
        var fit = new double[bins];
        for (var k = 0; k <= 2; k++)
        {
            double a = 0, b = 0;
            for (var i = 0; i < bins; i++)
            {
                var t = 2 * Math.PI * (i + 0.5) / bins;
                a += radius[i] * Math.Cos(k * t);
                b += radius[i] * Math.Sin(k * t);
            }

            var scale = k == 0 ? 1.0 / bins : 2.0 / bins;
            for (var i = 0; i < bins; i++)
            {
                var t = 2 * Math.PI * (i + 0.5) / bins;
                fit[i] += scale * ((a * Math.Cos(k * t)) + (b * Math.Sin(k * t)));
            }
        }

        var residual = Math.Sqrt(radius.Zip(fit, (r, f) => (r - f) * (r - f)).Average());
        return residual / radius.Average();
    }

    /// <summary>Colour variegation from the image: the standard deviation of chroma (B − R and G − R) inside the mask.</summary>
    internal static double ColourSpread(LesionSample s)
    {
        var values = Inside(s, inside: true).Select(p => (BR: p.B - p.R, GR: p.G - p.R)).ToList();
        double Sd(IEnumerable<double> xs)
        {
            var list = xs.ToList();
            var mean = list.Average();
            return Math.Sqrt(list.Average(v => (v - mean) * (v - mean)));
        }

        return Sd(values.Select(v => (double)v.BR)) + Sd(values.Select(v => (double)v.GR));
    }

    /// <summary>Mean brightness of the skin: pixels outside the mask, within the central half of the image (little vignetting).</summary>
    internal static double SkinBrightness(LesionSample s) =>
        Inside(s, inside: false, central: true).Average(p => (p.R + p.G + p.B) / 3.0);

    private static IEnumerable<(int R, int G, int B)> Inside(LesionSample s, bool inside, bool central = false)
    {
        var n = s.Image.Width;
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                var p = (y * n) + x;
                if ((s.Mask.Pixels[p] != 0) != inside)
                {
                    continue;
                }

                if (central && (x < n / 4 || x >= 3 * n / 4 || y < n / 4 || y >= 3 * n / 4))
                {
                    continue;
                }

                yield return (s.Image.Pixels[p * 3], s.Image.Pixels[(p * 3) + 1], s.Image.Pixels[(p * 3) + 2]);
            }
        }
    }
}
