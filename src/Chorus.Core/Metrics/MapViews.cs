using Chorus.Explanations;

namespace Chorus.Metrics;

/// <summary>
/// A checked map with derived quantities computed once and shared by every metric that needs them (sort order,
/// ranks, min/max). Not thread-safe: one view per thread. Used by <see cref="Evaluation.EnsembleEvaluator"/> so nine
/// metrics on one map sort it once, not five times.
/// </summary>
internal sealed class MapView(SaliencyMap map, MapView.Buffers? buffers = null)
{
    private int[]? _descending;
    private double[]? _ranks;
    private float? _min;
    private float? _max;
    private (double, double)? _valueMoments;
    private (double, double)? _rankMoments;
    private PixelPoint? _centre;

    public SaliencyMap Map { get; } = map;

    /// <summary>Mean and Σ(xᵢ − x̄)² of the values (Pearson's map side, shared by every ROI).</summary>
    public (double Mean, double SumSq) ValueMoments => _valueMoments ??= PearsonCorrelation.Moments<float>(Values);

    /// <summary>Mean and Σ(rᵢ − r̄)² of <see cref="Ranks"/> (Spearman's map side).</summary>
    public (double Mean, double SumSq) RankMoments => _rankMoments ??= PearsonCorrelation.Moments<double>(Ranks);

    /// <summary>Centre of mass of the positive part (<see cref="RelevanceMass.PositivePart"/>).</summary>
    public PixelPoint PositiveCentre => _centre ??= CentreOfMass.OfUnchecked(Map, RelevanceMass.PositivePart);

    public float[] Values => Map.Values;

    /// <summary>Pixel indices by value, descending; ties in index order.</summary>
    public int[] Descending => _descending ??= buffers is null
        ? Ranking.OrderDescending(Values)
        : Ranking.OrderDescending(Values, buffers.Get(ref buffers.Descending, Values.Length));

    /// <summary>Ascending 1-based average ranks.</summary>
    public double[] Ranks => _ranks ??= buffers is null
        ? Ranking.AverageRanksFromDescending(Values, Descending)
        : Ranking.AverageRanksFromDescending(Values, Descending, buffers.Get(ref buffers.Ranks, Values.Length));

    /// <summary>
    /// Arrays a view may fill instead of allocating its own, for callers that build many short-lived views on one
    /// thread (ensemble-size curves). A view using them is valid only until the next view on the same buffers is used.
    /// </summary>
    internal sealed class Buffers
    {
        public int[]? Descending; // fields, not properties: Get takes them by ref
        public double[]? Ranks;

        public T[] Get<T>(ref T[]? array, int length) => array is { } a && a.Length == length ? a : array = new T[length];
    }

    public float Max
    {
        get
        {
            if (_max is null)
            {
                ComputeRange();
            }

            return _max!.Value;
        }
    }

    public float Min
    {
        get
        {
            if (_min is null)
            {
                ComputeRange();
            }

            return _min!.Value;
        }
    }

    /// <summary>Min and max in one pass (vectorised; values are known to be finite).</summary>
    private void ComputeRange()
    {
        if (_descending is not null)
        {
            _max = Values[_descending[0]];
            _min = Values[_descending[^1]];
            return;
        }

        var v = Values;
        var width = System.Numerics.Vector<float>.Count;
        float min = v[0], max = v[0];
        var i = 0;
        if (v.Length >= width)
        {
            var vmin = new System.Numerics.Vector<float>(v, 0);
            var vmax = vmin;
            for (i = width; i <= v.Length - width; i += width)
            {
                var x = new System.Numerics.Vector<float>(v, i);
                vmin = System.Numerics.Vector.Min(vmin, x);
                vmax = System.Numerics.Vector.Max(vmax, x);
            }

            for (var k = 0; k < width; k++)
            {
                min = Math.Min(min, vmin[k]);
                max = Math.Max(max, vmax[k]);
            }
        }

        for (; i < v.Length; i++)
        {
            min = Math.Min(min, v[i]);
            max = Math.Max(max, v[i]);
        }

        _min = min;
        _max = max;
    }
}

/// <summary>A checked ROI with its pixel set, area, centre of mass and ranks computed once.</summary>
internal sealed class RoiView(SaliencyMap roi)
{
    private bool[]? _mask;
    private int _area;
    private double[]? _ranks;
    private PixelPoint? _centre;
    private (double, double)? _weightMoments;
    private (double, double)? _rankMoments;

    public SaliencyMap Roi { get; } = roi;

    /// <summary>Mean and Σ(sᵢ − s̄)² of the weights.</summary>
    public (double Mean, double SumSq) WeightMoments => _weightMoments ??= PearsonCorrelation.Moments<float>(Weights);

    /// <summary>Mean and Σ(rᵢ − r̄)² of <see cref="Ranks"/>.</summary>
    public (double Mean, double SumSq) RankMoments => _rankMoments ??= PearsonCorrelation.Moments<double>(Ranks);

    public float[] Weights => Roi.Values;

    /// <summary>Pixels with weight ≥ <see cref="MetricGuard.RoiThreshold"/>.</summary>
    public bool[] Mask => _mask ??= MetricGuard.RoiMask(Roi, out _area);

    /// <summary>|Mask|.</summary>
    public int Area
    {
        get
        {
            _ = Mask;
            return _area;
        }
    }

    public double[] Ranks => _ranks ??= Ranking.AverageRanks(Weights);

    public PixelPoint Centre => _centre ??= CentreOfMass.OfUnchecked(Roi, RelevanceMass.PositivePart);
}

/// <summary>A metric that can work on shared views (all built-in metrics).</summary>
internal interface IViewMetric
{
    /// <summary>Same result as <see cref="IExplanationMetric.Compute"/>; inputs already checked.</summary>
    double Compute(MapView map, RoiView roi);
}
