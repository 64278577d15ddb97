namespace Chorus.Torch.Attribution;

/// <summary>
/// The one text form of the attribution options that shape a run's maps: recorded in a run's manifest and in its maps'
/// settings file, and compared line by line before maps on disk are reused, so that a change of any option of a method
/// the run uses is never silently ignored.
/// </summary>
/// <remarks>
/// The five study methods' lines are written as they always were (their options' record text), so run folders from
/// before this type resume. Every other method adds its registered options line (<see cref="AttributionMethodInfo.Options"/>)
/// only when the run uses it; SmoothGrad's names the methods it wraps.
/// </remarks>
public static class AttributionSettingsText
{
    /// <summary>(key, value) pairs for <paramref name="settings"/> as used by <paramref name="methods"/> (CLI names).</summary>
    public static IReadOnlyList<(string Key, string Value)> Describe(AttributionSettings settings, IEnumerable<string> methods)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(methods);
        var used = methods.Select(m => m.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var pairs = new List<(string, string)>
        {
            ("saliency", settings.Saliency.ToString()),
            ("integrated_gradients", settings.IntegratedGradients.ToString()),
            ("gradient_shap", settings.GradientShap.ToString()),
            ("grad_cam", settings.GradCam.ToString()),
        };
        // Every other method the run uses, from its registration (so a new method's options guard its maps too).
        var fixedKeys = pairs.Select(p => p.Item1).ToHashSet(StringComparer.Ordinal);
        foreach (var name in AttributionRegistry.Names.Where(n => n != NoiseTunnel.CliName && used.Contains(n)))
        {
            if (AttributionRegistry.Get(name).Options?.Invoke(settings) is { } option && !fixedKeys.Contains(option.Key))
            {
                pairs.Add((option.Key, option.Text));
            }
        }

        var smooth = used.Where(m => m == NoiseTunnel.CliName || m.StartsWith(NoiseTunnel.CliName + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (smooth.Count > 0)
        {
            var inner = smooth.Select(m => m.Contains(':', StringComparison.Ordinal) ? m[(m.IndexOf(':', StringComparison.Ordinal) + 1)..] : settings.SmoothGradInner);
            pairs.Add(("smoothgrad", $"{settings.NoiseTunnel} of {string.Join(",", inner)}"));
        }

        return pairs;
    }

}
