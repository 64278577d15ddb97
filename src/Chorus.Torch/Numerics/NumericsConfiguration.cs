namespace Chorus.Torch.Numerics;

/// <summary>
/// How libtorch computes Chorus's passes. <see cref="Native"/> is libtorch as shipped; the others avoid oneDNN (libtorch's
/// CPU convolution library) where a CPU's oneDNN kernels give wrong results. <see cref="NumericsGuard"/> picks the first
/// one, in <see cref="NumericsConfigurations.AutomaticOrder"/>, whose probes pass.
/// </summary>
public enum NumericsConfiguration
{
    /// <summary>libtorch as shipped: oneDNN for convolutions forward and backward, at the best ISA of the CPU.</summary>
    Native,

    /// <summary>
    /// oneDNN for forward passes; every backward pass Chorus runs (attribution gradients, training steps) uses ATen's own
    /// convolution kernels (<c>at::Context::setUserEnabledMkldnn(false)</c> for the duration of the backward). The
    /// narrow fix: the broken kernels seen so far were oneDNN's <c>backward_data</c>. The switch is process-wide: a forward
    /// pass that runs on another thread while a backward pass is under way uses ATen's kernels too (correct, but not
    /// bit-identical to the same pass with oneDNN). Chorus's own stages run one pass at a time, so their runs stay
    /// reproducible; the test projects run one test at a time for the same reason.
    /// </summary>
    OneDnnOffInBackward,

    /// <summary>oneDNN off for the whole process (forward and backward use ATen's own kernels).</summary>
    OneDnnOff,

    /// <summary>
    /// oneDNN capped at AVX2 (<c>ONEDNN_MAX_CPU_ISA=AVX2</c>). oneDNN reads the cap once, at its first primitive, so
    /// this takes effect only when set before any tensor work in the process: force it (option or
    /// <c>CHORUS_NUMERICS</c>) rather than expect the guard to switch to it.
    /// </summary>
    OneDnnIsaAvx2,

    /// <summary>oneDNN capped at SSE4.1 (<c>ONEDNN_MAX_CPU_ISA=SSE41</c>); same start-up rule as <see cref="OneDnnIsaAvx2"/>.</summary>
    OneDnnIsaSse41,
}

/// <summary>Names, descriptions and the automatic order of <see cref="NumericsConfiguration"/>.</summary>
public static class NumericsConfigurations
{
    /// <summary>
    /// The configurations the guard tries, in order, when none is forced: those that can be switched while the process
    /// runs, narrowest first. ISA caps are left out: oneDNN fixes its ISA at its first primitive, before any probe can run.
    /// </summary>
    public static IReadOnlyList<NumericsConfiguration> AutomaticOrder { get; } =
        [NumericsConfiguration.Native, NumericsConfiguration.OneDnnOffInBackward, NumericsConfiguration.OneDnnOff];

    /// <summary>Every configuration, in the order <see cref="Names"/> lists them.</summary>
    public static IReadOnlyList<NumericsConfiguration> All { get; } = Enum.GetValues<NumericsConfiguration>();

    /// <summary>The CLI names, in <see cref="All"/>'s order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(ToCliName).ToArray();

    /// <summary>The CLI name: native, onednn-off-backward, onednn-off, onednn-isa-avx2, onednn-isa-sse41.</summary>
    public static string ToCliName(this NumericsConfiguration configuration) => configuration switch
    {
        NumericsConfiguration.Native => "native",
        NumericsConfiguration.OneDnnOffInBackward => "onednn-off-backward",
        NumericsConfiguration.OneDnnOff => "onednn-off",
        NumericsConfiguration.OneDnnIsaAvx2 => "onednn-isa-avx2",
        NumericsConfiguration.OneDnnIsaSse41 => "onednn-isa-sse41",
        _ => throw new ArgumentOutOfRangeException(nameof(configuration), configuration, "Unknown numerics configuration."),
    };

    /// <summary>Parses a CLI name (case-insensitive); <c>auto</c> gives null (let the guard choose).</summary>
    /// <exception cref="ArgumentException">Any other text; the message lists the known names.</exception>
    public static NumericsConfiguration? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "auto")
        {
            return null;
        }

        foreach (var c in All)
        {
            if (c.ToCliName() == t)
            {
                return c;
            }
        }

        throw new ArgumentException($"Unknown numerics configuration '{text}'; known: auto, {string.Join(", ", Names)}.", nameof(text));
    }

    /// <summary>The value of <c>ONEDNN_MAX_CPU_ISA</c> an ISA-capped configuration sets, else null.</summary>
    public static string? IsaCap(this NumericsConfiguration configuration) => configuration switch
    {
        NumericsConfiguration.OneDnnIsaAvx2 => "AVX2",
        NumericsConfiguration.OneDnnIsaSse41 => "SSE41",
        _ => null,
    };

    /// <summary>One line on what the configuration does.</summary>
    public static string Describe(this NumericsConfiguration configuration) => configuration switch
    {
        NumericsConfiguration.Native => "libtorch as shipped (oneDNN forward and backward)",
        NumericsConfiguration.OneDnnOffInBackward => "oneDNN in forward passes, ATen's own kernels in every backward pass",
        NumericsConfiguration.OneDnnOff => "oneDNN off (ATen's own kernels everywhere)",
        NumericsConfiguration.OneDnnIsaAvx2 => "oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2, set before the first tensor)",
        NumericsConfiguration.OneDnnIsaSse41 => "oneDNN capped at SSE4.1 (ONEDNN_MAX_CPU_ISA=SSE41, set before the first tensor)",
        _ => throw new ArgumentOutOfRangeException(nameof(configuration), configuration, "Unknown numerics configuration."),
    };
}
