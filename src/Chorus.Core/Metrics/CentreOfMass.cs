using Chorus.Explanations;

namespace Chorus.Metrics;

/// <summary>How signed relevance becomes a non-negative mass for the centre of mass.</summary>
public enum RelevanceMass
{
    /// <summary>max(x, 0): negative relevance is ignored (default).</summary>
    PositivePart,

    /// <summary>|x|: positive and negative relevance both count.</summary>
    Absolute,
}

/// <summary>A point in pixel coordinates (row <see cref="Y"/>, column <see cref="X"/>); NaN when undefined.</summary>
public readonly record struct PixelPoint(double Y, double X)
{
    /// <summary>True when both coordinates are finite.</summary>
    public bool IsDefined => double.IsFinite(Y) && double.IsFinite(X);
}

/// <summary>Centre of mass of a map.</summary>
public static class CentreOfMass
{
    /// <summary>
    /// CoM = (Σᵢ mᵢ·yᵢ / Σᵢ mᵢ, Σᵢ mᵢ·xᵢ / Σᵢ mᵢ) with mᵢ = max(xᵢ,0) or |xᵢ| (<paramref name="mass"/>) and
    /// pixel i at integer coordinates (yᵢ, xᵢ) (pixel centres, 0-based).
    /// </summary>
    /// <returns>The centre, or (NaN, NaN) when the total mass Σ mᵢ is 0 (no fallback).</returns>
    /// <exception cref="ArgumentException">The map holds NaN/±∞.</exception>
    public static PixelPoint Of(SaliencyMap map, RelevanceMass mass = RelevanceMass.PositivePart)
    {
        MetricGuard.CheckFinite(map, nameof(map));
        return OfUnchecked(map, mass);
    }

    internal static PixelPoint OfUnchecked(SaliencyMap map, RelevanceMass mass)
    {
        var v = map.Values;
        double total = 0, sy = 0, sx = 0;
        for (var y = 0; y < map.Height; y++)
        {
            double row = 0, rowX = 0;
            var off = y * map.Width;
            for (var x = 0; x < map.Width; x++)
            {
                var a = v[off + x];
                double m = mass == RelevanceMass.Absolute ? Math.Abs(a) : Math.Max(a, 0f);
                row += m;
                rowX += m * x;
            }

            total += row;
            sy += row * y;
            sx += rowX;
        }

        return total > 0 ? new PixelPoint(sy / total, sx / total) : new PixelPoint(double.NaN, double.NaN);
    }
}

/// <summary>
/// Distance between the centre of mass of the map and that of the ROI (ROI weights clipped at 0, i.e. the soft
/// mask's own mass). Lower is better.
/// </summary>
/// <remarks>
/// d = √((ȳ_map − ȳ_roi)² + (x̄_map − x̄_roi)²) in pixels; when <see cref="Normalised"/> (the registry's
/// <c>com_distance</c>) it is divided by the image diagonal √(H² + W²), so it lies in [0, 1).
/// No fallback: if the map (after <see cref="RelevanceMass"/>) or the ROI has zero total mass, the result is
/// NaN, which the evaluation counts as undefined for that image/member.
/// </remarks>
public sealed class CentreOfMassDistance : IExplanationMetric, IViewMetric
{
    /// <param name="normalised">Divide by √(H²+W²). Default: true.</param>
    /// <param name="mass">How the map's relevance becomes mass. Default: positive part.</param>
    public CentreOfMassDistance(bool normalised = true, RelevanceMass mass = RelevanceMass.PositivePart)
    {
        Normalised = normalised;
        Mass = mass;
    }

    public bool Normalised { get; }

    public RelevanceMass Mass { get; }

    /// <inheritdoc />
    public string Name => Normalised ? "com_distance" : "com_distance_px";

    /// <inheritdoc />
    public bool HigherIsBetter => false;

    /// <inheritdoc />
    public double Compute(SaliencyMap map, SaliencyMap roi)
    {
        MetricGuard.CheckPair(map, roi);
        return ((IViewMetric)this).Compute(new MapView(map), new RoiView(roi));
    }

    double IViewMetric.Compute(MapView map, RoiView roi)
    {
        var a = Mass == RelevanceMass.PositivePart ? map.PositiveCentre : CentreOfMass.OfUnchecked(map.Map, Mass);
        var b = roi.Centre;
        var dy = a.Y - b.Y;
        var dx = a.X - b.X;
        var d = Math.Sqrt((dy * dy) + (dx * dx));
        var (h, w) = ((double)map.Map.Height, (double)map.Map.Width);
        return Normalised ? d / Math.Sqrt((h * h) + (w * w)) : d;
    }
}
