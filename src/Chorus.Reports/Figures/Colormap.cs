namespace Chorus.Reports.Figures;

/// <summary>The perceptually uniform "inferno" colour map (matplotlib), interpolated between eight anchors.</summary>
public static class Colormap
{
    private static readonly (byte R, byte G, byte B)[] Anchors =
    [
        (0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99),
        (212, 72, 66), (245, 125, 21), (250, 193, 39), (252, 255, 164),
    ];

    /// <summary>Colour of <paramref name="v"/> in [0,1] (values outside are clamped; NaN maps to 0).</summary>
    public static (byte R, byte G, byte B) Inferno(double v)
    {
        if (!(v > 0))
        {
            return Anchors[0];
        }

        if (v >= 1)
        {
            return Anchors[^1];
        }

        var pos = v * (Anchors.Length - 1);
        var i = (int)pos;
        var t = pos - i;
        var a = Anchors[i];
        var b = Anchors[i + 1];
        return (Lerp(a.R, b.R, t), Lerp(a.G, b.G, t), Lerp(a.B, b.B, t));
    }

    private static byte Lerp(byte a, byte b, double t) => (byte)Math.Round(a + ((b - a) * t));
}
