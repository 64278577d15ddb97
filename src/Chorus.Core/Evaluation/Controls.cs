using System.Globalization;
using Chorus.Ensembles;
using Chorus.Explanations;

namespace Chorus.Evaluation;

/// <summary>
/// Controls for the study's claim, so that "Ens-Avg beats Exp-Avg" cannot be only smoothing or a centre bias:
/// <list type="bullet">
/// <item><b>smoothing</b>: each member's own map blurred with a Gaussian whose σ (per method) makes the members' spatial
/// autocorrelation match the ensemble map's, scored like Exp-Avg. If Ens-Avg beats it, averaging does more than smoothing.</item>
/// <item><b>centre prior</b>: one isotropic Gaussian at the image centre, the same for every image, scored with every metric.</item>
/// </list>
/// σ is chosen from maps alone, never from regions: on the members' maps of training images when they are given
/// (<see cref="For"/>), otherwise cross-fitted over the scored images: they are split in two halves (even and odd
/// positions), and the σ used on one half is fitted on the other, so no image's own maps choose its σ either.
/// </summary>
public static class Controls
{
    /// <summary>The σ candidates of the smoothing control, in pixels (0: the map itself).</summary>
    public static IReadOnlyList<double> SigmaGrid { get; } = [0, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12];

    /// <summary>σ of <see cref="CentrePrior"/> as a fraction of the shorter image side.</summary>
    public const double CentrePriorSigmaFraction = 0.25;

    /// <summary>An isotropic Gaussian centred on the image, σ = <paramref name="sigmaFraction"/> × min(height, width), peak 1.</summary>
    public static SaliencyMap CentrePrior(int height, int width, double sigmaFraction = CentrePriorSigmaFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigmaFraction);
        var sigma = sigmaFraction * Math.Min(height, width);
        var (cy, cx) = ((height - 1) / 2.0, (width - 1) / 2.0);
        var values = new float[height * width];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var d2 = ((y - cy) * (y - cy)) + ((x - cx) * (x - cx));
                values[(y * width) + x] = (float)Math.Exp(-d2 / (2 * sigma * sigma));
            }
        }

        return new SaliencyMap(height, width, values);
    }

    /// <summary>
    /// <paramref name="map"/> convolved with a normalised Gaussian of standard deviation <paramref name="sigma"/> pixels
    /// (separable, cut at 3σ, borders mirrored); σ = 0 returns the map unchanged.
    /// </summary>
    public static SaliencyMap GaussianBlur(SaliencyMap map, double sigma)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentOutOfRangeException.ThrowIfNegative(sigma);
        if (sigma == 0)
        {
            return map;
        }

        var radius = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var kernel = new double[(2 * radius) + 1];
        for (var k = -radius; k <= radius; k++)
        {
            kernel[k + radius] = Math.Exp(-(k * k) / (2 * sigma * sigma));
        }

        var total = kernel.Sum();
        for (var k = 0; k < kernel.Length; k++)
        {
            kernel[k] /= total;
        }

        var (h, w) = (map.Height, map.Width);
        var src = map.Values;
        var rows = new double[h * w];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                double s = 0;
                for (var k = -radius; k <= radius; k++)
                {
                    s += kernel[k + radius] * src[(y * w) + Mirror(x + k, w)];
                }

                rows[(y * w) + x] = s;
            }
        }

        var result = new float[h * w];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                double s = 0;
                for (var k = -radius; k <= radius; k++)
                {
                    s += kernel[k + radius] * rows[(Mirror(y + k, h) * w) + x];
                }

                result[(y * w) + x] = (float)s;
            }
        }

        return new SaliencyMap(h, w, result);
    }

    /// <summary>
    /// Lag-1 spatial autocorrelation: the Pearson correlation of every pixel with its right and its lower neighbour (both
    /// pairs pooled). 0 for white noise, near 1 for smooth maps; NaN for a constant map.
    /// </summary>
    public static double Autocorrelation(SaliencyMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var (h, w, v) = (map.Height, map.Width, map.Values);
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        long n = 0;
        void Pair(float a, float b)
        {
            sa += a;
            sb += b;
            saa += (double)a * a;
            sbb += (double)b * b;
            sab += (double)a * b;
            n++;
        }

        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                if (x + 1 < w)
                {
                    Pair(v[(y * w) + x], v[(y * w) + x + 1]);
                }

                if (y + 1 < h)
                {
                    Pair(v[(y * w) + x], v[((y + 1) * w) + x]);
                }
            }
        }

        var cov = (sab / n) - ((sa / n) * (sb / n));
        var va = (saa / n) - ((sa / n) * (sa / n));
        var vb = (sbb / n) - ((sb / n) * (sb / n));
        return va <= 0 || vb <= 0 ? double.NaN : cov / Math.Sqrt(va * vb);
    }

    /// <summary>
    /// The σ of <see cref="SigmaGrid"/> whose blurred member maps have the mean autocorrelation closest to that of the
    /// ensemble maps, over the images <paramref name="fit"/> (maps only: no region is read).
    /// </summary>
    /// <param name="maps">maps[member][image].</param>
    /// <param name="aggregator">How the ensemble map is made.</param>
    /// <param name="fit">The images to fit on.</param>
    public static double ChooseSigma(IReadOnlyList<IReadOnlyList<SaliencyMap>> maps, IEnsembleAggregator aggregator, IReadOnlyList<int> fit)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(aggregator);
        ArgumentNullException.ThrowIfNull(fit);
        if (fit.Count == 0)
        {
            return 0;
        }

        var target = Mean(fit.Select(i => Autocorrelation(aggregator.Aggregate([.. maps.Select(m => m[i])]))));
        var best = (Sigma: 0.0, Gap: double.PositiveInfinity);
        foreach (var sigma in SigmaGrid)
        {
            var ac = Mean(fit.SelectMany(i => maps.Select(m => Autocorrelation(GaussianBlur(m[i], sigma)))));
            var gap = Math.Abs(ac - target);
            if (gap < best.Gap)
            {
                best = (sigma, gap);
            }
        }

        return best.Sigma;
    }

    /// <summary>
    /// The smoothing control's maps, cross-fitted: σ for the images at even positions is chosen on the odd ones and the
    /// other way round (<see cref="ChooseSigma"/>). Returns blurred[member][image] and the two σ (even, odd).
    /// </summary>
    public static (IReadOnlyList<IReadOnlyList<SaliencyMap>> Blurred, double SigmaEven, double SigmaOdd) Smoothing(IReadOnlyList<IReadOnlyList<SaliencyMap>> maps, IEnsembleAggregator aggregator)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var images = maps[0].Count;
        var even = Enumerable.Range(0, images).Where(i => i % 2 == 0).ToList();
        var odd = Enumerable.Range(0, images).Where(i => i % 2 == 1).ToList();
        var sigmaEven = ChooseSigma(maps, aggregator, odd.Count > 0 ? odd : even);
        var sigmaOdd = ChooseSigma(maps, aggregator, even);
        IReadOnlyList<IReadOnlyList<SaliencyMap>> blurred = [.. maps.Select(m => (IReadOnlyList<SaliencyMap>)[.. m.Select((map, i) => GaussianBlur(map, i % 2 == 0 ? sigmaEven : sigmaOdd))])];
        return (blurred, sigmaEven, sigmaOdd);
    }

    /// <summary>
    /// Both controls' maps for one method, in the shape of the members' maps: the smoothing control's blurred members
    /// (<see cref="Smoothing"/>, with its two σ) and one member that is the centre prior for every image.
    /// </summary>
    /// <param name="maps">maps[member][image] of the scored (test) images.</param>
    /// <param name="aggregator">How the ensemble map is made.</param>
    /// <param name="fit">
    /// The same members' maps of other images, e.g. training images (fit[member][image]): σ is chosen on these alone, one σ
    /// for every scored image. Null: cross-fitted over two halves of <paramref name="maps"/> (<see cref="Smoothing"/>).
    /// </param>
    public static ControlMaps For(IReadOnlyList<IReadOnlyList<SaliencyMap>> maps, IEnsembleAggregator aggregator, IReadOnlyList<IReadOnlyList<SaliencyMap>>? fit = null)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var first = maps[0][0];
        var prior = CentrePrior(first.Height, first.Width);
        IReadOnlyList<IReadOnlyList<SaliencyMap>> centre = [[.. maps[0].Select(_ => prior)]];
        if (fit is null)
        {
            var (blurred, sigmaEven, sigmaOdd) = Smoothing(maps, aggregator);
            return new ControlMaps(blurred, sigmaEven, sigmaOdd, centre, "test images cross-fitted (σ of the even images chosen on the odd ones and the other way round)");
        }

        if (fit.Count != maps.Count)
        {
            throw new ArgumentException($"The fit maps have {fit.Count} members, the scored maps {maps.Count}.", nameof(fit));
        }

        var sigma = ChooseSigma(fit, aggregator, [.. Enumerable.Range(0, fit[0].Count)]);
        IReadOnlyList<IReadOnlyList<SaliencyMap>> blurredAll = [.. maps.Select(m => (IReadOnlyList<SaliencyMap>)[.. m.Select(map => GaussianBlur(map, sigma))])];
        return new ControlMaps(blurredAll, sigma, sigma, centre, string.Create(CultureInfo.InvariantCulture, $"{fit[0].Count} training images"));
    }

    private static double Mean(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        return finite.Count == 0 ? double.NaN : finite.Average();
    }

    private static int Mirror(int i, int n) => n == 1 ? 0 : i < 0 ? Math.Min(-i, n - 1) : i >= n ? Math.Max((2 * n) - 2 - i, 0) : i;
}

/// <summary>The controls' maps for one method (<see cref="Controls.For"/>).</summary>
/// <param name="Blurred">blurred[member][image]: the smoothing control.</param>
/// <param name="SigmaEven">σ (px) used on the images at even positions, fitted on the odd ones.</param>
/// <param name="SigmaOdd">σ (px) used on the images at odd positions, fitted on the even ones.</param>
/// <param name="Centre">One member whose map of every image is the centre prior.</param>
/// <param name="FittedOn">Which maps chose σ: training images, or (without them) the test images cross-fitted.</param>
public sealed record ControlMaps(IReadOnlyList<IReadOnlyList<SaliencyMap>> Blurred, double SigmaEven, double SigmaOdd, IReadOnlyList<IReadOnlyList<SaliencyMap>> Centre, string FittedOn);

/// <summary>Ens-Avg against one control for one method, part and metric.</summary>
/// <param name="Control"><c>smoothing</c> or <c>centre-prior</c>.</param>
/// <param name="Parameters">The control's parameters, e.g. <c>sigma=2/1.5</c> (σ of the even/odd images) or <c>sigma=0.25·side</c>.</param>
/// <param name="Comparison">Ens-Avg as <c>Ens</c>, the control as <c>Exp</c>; the paired difference is Ens-Avg − control.</param>
public sealed record ControlComparison(string Control, string Parameters, MetricComparison Comparison)
{
    /// <summary>Whether Ens-Avg's mean is better than the control's (by the metric's direction).</summary>
    public bool EnsBetter => Comparison.Ens.Mean != Comparison.Exp.Mean && (Comparison.Ens.Mean > Comparison.Exp.Mean) == Comparison.HigherIsBetter;
}

/// <summary>controls.csv: one row per method × part × metric × control.</summary>
public static class ControlsCsv
{
    public const string Header = "part,method,metric,control,parameters,higher_is_better,ens_mean,control_mean,control_ci_low,control_ci_high,diff_mean,diff_ci_low,diff_ci_high,n_pairs,wilcoxon_p,ens_better";

    /// <summary>Writes <paramref name="rows"/> atomically.</summary>
    public static void Write(string path, IEnumerable<ControlComparison> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Csv.Write(path, Header, rows.Select(r =>
        {
            var c = r.Comparison;
            return new[]
            {
                Csv.Field(c.Part), Csv.Field(c.Method), Csv.Field(c.Metric), Csv.Field(r.Control), Csv.Field(r.Parameters), Csv.Field(c.HigherIsBetter),
                Csv.Field(c.Ens.Mean), Csv.Field(c.Exp.Mean), Csv.Field(c.Exp.CiLow), Csv.Field(c.Exp.CiHigh),
                Csv.Field(c.Difference.Mean), Csv.Field(c.Difference.CiLow), Csv.Field(c.Difference.CiHigh), Csv.Field(c.Difference.NPairs),
                Csv.Field(c.Wilcoxon.PValue), Csv.Field(r.EnsBetter),
            };
        }));
    }
}
