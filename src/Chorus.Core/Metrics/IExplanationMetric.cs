using Chorus.Explanations;

namespace Chorus.Metrics;

/// <summary>
/// A score of one saliency map against one region of interest (ROI) of the same size.
/// </summary>
/// <remarks>
/// The ROI is a <see cref="SaliencyMap"/> of weights: 0/1 for a hard mask, values in [0, 1] for a soft one.
/// Metrics that need a pixel set (IoU, pointing game, rank, top-k, AUC) use the pixels with weight ≥ 0.5
/// (<see cref="MetricGuard.RoiThreshold"/>); the others (centre of mass, correlations, relevance mass) use the weights.
/// Implementations are stateless and thread-safe. They throw <see cref="ArgumentException"/> when the sizes
/// differ or either map holds a non-finite value, and return <see cref="double.NaN"/> when the score is undefined
/// for that input (each metric documents when); callers count such results rather than average them.
/// </remarks>
public interface IExplanationMetric
{
    /// <summary>Registry name, snake_case (e.g. <c>pointing_game</c>); used in result files.</summary>
    string Name { get; }

    /// <summary>True when a larger value means a better explanation.</summary>
    bool HigherIsBetter { get; }

    /// <summary>Scores <paramref name="map"/> against <paramref name="roi"/>.</summary>
    double Compute(SaliencyMap map, SaliencyMap roi);
}
