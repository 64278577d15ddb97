using System.Globalization;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>Where a method's maps live.</summary>
public enum MapSpace
{
    /// <summary>[N,C,H,W] over the input, reduced over channels (<see cref="MapReduction"/>) to one map per image.</summary>
    Input,

    /// <summary>[N,1,H,W] from a layer (Grad-CAM): one channel, upsampled to the input size, kept as it is.</summary>
    Layer,
}

/// <summary>What the study needs to know of an attribution method, registered once in <see cref="AttributionRegistry"/>.</summary>
/// <param name="Name">The CLI name (<c>--methods</c>, <c>explain --method</c>).</param>
/// <param name="Create">Builds the method from the settings (and the seeded generator of stochastic methods).</param>
/// <param name="Stochastic">Draws random numbers: needs a seeded generator (member m uses seed + m).</param>
/// <param name="Space">Input-space or layer maps.</param>
/// <param name="FromFusedPass">
/// When the method's maps are one output of <see cref="FusedGradientPass"/> (one forward and one backward shared with the
/// other such methods), how to read them from it; null: the method runs on its own.
/// </param>
/// <param name="Options">
/// The method's options as (key, text) for a run's record (<see cref="AttributionSettingsText"/>): a changed text means
/// maps on disk are not reused. Null: the method has no options.
/// </param>
public sealed record AttributionMethodInfo(
    string Name,
    Func<AttributionSettings, Generator?, IAttributionMethod> Create,
    bool Stochastic = false,
    MapSpace Space = MapSpace.Input,
    Func<FusedAttributions, Tensor>? FromFusedPass = null,
    Func<AttributionSettings, (string Key, string Text)>? Options = null);

/// <summary>
/// The attribution methods by name, open like <c>MetricRegistry</c>: a new method is its own file plus one
/// <see cref="Register"/> line (here for the built-in ones, or in the caller's start-up code).
/// </summary>
public static class AttributionRegistry
{
    private static readonly List<AttributionMethodInfo> Methods = [];

    static AttributionRegistry()
    {
        Register(new(Saliency.CliName, (s, _) => new Saliency(s.Saliency), FromFusedPass: p => p.Saliency, Options: s => ("saliency", s.Saliency.ToString())));
        Register(new(InputXGradient.CliName, (_, _) => new InputXGradient(), FromFusedPass: p => p.InputXGradient));
        Register(new(IntegratedGradients.CliName, (s, _) => new IntegratedGradients(s.IntegratedGradients), Options: s => ("integrated_gradients", s.IntegratedGradients.ToString())));
        Register(new(GradientShap.CliName, (s, g) => new GradientShap(g ?? throw MissingGenerator(GradientShap.CliName), s.GradientShap), Stochastic: true, Options: s => ("gradient_shap", s.GradientShap.ToString())));
        Register(new(GradCam.CliName, (s, _) => new GradCam(s.GradCam), Space: MapSpace.Layer, FromFusedPass: p => p.GradCam, Options: s => ("grad_cam", s.GradCam.ToString())));
        Register(new(GradCamPlusPlus.CliName, (s, _) => new GradCamPlusPlus(s.GradCamPlusPlus), Space: MapSpace.Layer, Options: s => ("grad_cam_plus_plus", s.GradCamPlusPlus.ToString())));
        Register(new(Occlusion.CliName, (s, _) => new Occlusion(s.Occlusion), Options: s => ("occlusion", Describe(s.Occlusion))));
        Register(new(NoiseTunnel.CliName, (s, g) => AttributionMethodFactory.WrapNoise(s.SmoothGradInner, s, g, NoiseTunnel.CliName), Stochastic: true, Options: s => ("smoothgrad", $"{s.NoiseTunnel} of {s.SmoothGradInner}")));
    }

    /// <summary>Every registered name, in registration order.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Methods)
            {
                return [.. Methods.Select(m => m.Name)];
            }
        }
    }

    /// <summary>Adds a method.</summary>
    /// <exception cref="ArgumentException">The name is taken, empty or holds a ':' (reserved for <c>smoothgrad:&lt;method&gt;</c>).</exception>
    public static void Register(AttributionMethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (string.IsNullOrWhiteSpace(method.Name) || method.Name.Contains(':', StringComparison.Ordinal) || method.Name != method.Name.Trim().ToLowerInvariant())
        {
            throw new ArgumentException($"'{method.Name}' is not a method name (lower case, no ':').", nameof(method));
        }

        lock (Methods)
        {
            if (Methods.Any(m => m.Name == method.Name))
            {
                throw new ArgumentException($"An attribution method called '{method.Name}' is registered already.", nameof(method));
            }

            Methods.Add(method);
        }
    }

    /// <summary>The method called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static AttributionMethodInfo? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        lock (Methods)
        {
            return Methods.FirstOrDefault(m => m.Name == key);
        }
    }

    /// <summary>The method called <paramref name="name"/>; <c>smoothgrad:&lt;method&gt;</c> is SmoothGrad's entry.</summary>
    /// <exception cref="ArgumentException">No such method; the message lists the registered ones.</exception>
    public static AttributionMethodInfo Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return Find(colon >= 0 ? key[..colon] : key)
            ?? throw new ArgumentException($"Unknown attribution method '{name}'; known: {string.Join(", ", Names)}.", nameof(name));
    }

    private static string Describe(OcclusionOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"OcclusionOptions {{ Window = {Ints(o.Window)}, Strides = {Ints(o.Strides)}, Baseline = {o.Baseline}, PerturbationsPerEval = {o.PerturbationsPerEval} }}");

    private static string Ints(IReadOnlyList<int>? values) => values is null ? "-" : string.Join("x", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    private static ArgumentException MissingGenerator(string name) =>
        new ArgumentNullException("generator", $"'{name}' draws random numbers and needs a seeded torch.Generator.");
}
