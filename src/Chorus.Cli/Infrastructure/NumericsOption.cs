using Chorus.Torch.Numerics;

namespace Chorus.Cli.Infrastructure;

/// <summary>The <c>--numerics</c> option shared by every command that computes with tensors.</summary>
internal static class NumericsOption
{
    /// <summary>Its help text.</summary>
    public const string Help =
        "Numerics configuration: auto (default: probes float32 against float64 at start and picks the first that passes of native, onednn-off-backward, onednn-off), or force one of native, onednn-off-backward, onednn-off, onednn-isa-avx2, onednn-isa-sse41. Also CHORUS_NUMERICS. See 'chorus doctor'.";

    /// <summary>Null when <paramref name="text"/> is a known name (or null), else the error for Validate.</summary>
    public static string? Validate(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            NumericsConfigurations.Parse(text);
            return null;
        }
        catch (ArgumentException)
        {
            return $"--numerics: unknown configuration '{text}'; known: auto, {string.Join(", ", NumericsConfigurations.Names)}.";
        }
    }

    /// <summary>
    /// Forces the configuration named by <paramref name="text"/> (when given; otherwise <c>CHORUS_NUMERICS</c> or the probes
    /// decide) and runs the guard, before the command's first tensor operation.
    /// </summary>
    /// <exception cref="NumericsException">No configuration passes, or the forced one fails.</exception>
    public static NumericsVerdict Ensure(string? text)
    {
        if (text is not null)
        {
            NumericsGuard.Force(NumericsConfigurations.Parse(text));
        }

        return NumericsGuard.Ensure();
    }
}
