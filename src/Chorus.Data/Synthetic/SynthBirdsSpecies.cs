namespace Chorus.Data.Synthetic;

/// <summary>Beak shapes of SynthBirds.</summary>
public enum BeakShape
{
    /// <summary>Short and deep, seed-eater style.</summary>
    Conical,

    /// <summary>Long and very thin.</summary>
    Thin,

    /// <summary>Upper mandible curving down over the tip, raptor style.</summary>
    Hooked,

    /// <summary>Long, curving downwards along its length.</summary>
    Decurved,

    /// <summary>Flat with parallel edges and a blunt tip, duck style.</summary>
    Flat,
}

/// <summary>Wing patterns of SynthBirds, drawn in a contrasting colour over the wing's base colour.</summary>
public enum WingPattern
{
    Plain,

    /// <summary>Bands along the wing's length.</summary>
    Stripes,

    /// <summary>A grid of round dots.</summary>
    Spots,

    /// <summary>Bands across the wing.</summary>
    Bars,
}

/// <summary>A named sRGB colour.</summary>
public readonly record struct NamedColour(string Name, byte R, byte G, byte B);

/// <summary>The beak attributes of a species.</summary>
/// <param name="Shape">The outline.</param>
/// <param name="Colour">The flat colour of the beak's pixels (before the image's lighting and noise).</param>
/// <param name="Long">Whether the beak is the 1.4× long variant of its shape.</param>
public sealed record BeakType(BeakShape Shape, bool Long, NamedColour Colour);

/// <summary>The wing attributes of a species. <paramref name="PatternColour"/> follows from the base colour (dark on light, light on dark).</summary>
public sealed record WingType(WingPattern Pattern, NamedColour Colour, NamedColour PatternColour);

/// <summary>One SynthBirds species: the only class information is its beak and its wing.</summary>
/// <param name="Index">0-based class index; the CUB class id is <c>Index + 1</c>.</param>
/// <param name="Name">CUB-style name, e.g. <c>Yellow_Conical_Beak_Blue_Plain_Wing</c>.</param>
/// <param name="Beak">The beak attributes.</param>
/// <param name="Wing">The wing attributes.</param>
public sealed record SynthBirdSpecies(int Index, string Name, BeakType Beak, WingType Wing);

/// <summary>
/// The species table. With <c>m = max(2, n / 2)</c> beak types and <c>m</c> wing types, species are the pairs
/// (beak <c>i</c>, wing <c>(i + j) mod m</c>) taken for <c>j = 0, 1, 2, …</c> then <c>i = 0..m-1</c>, the first
/// <c>n</c> of them (for <c>n = 5</c>, where 2×2 pairs are too few, <c>m = 3</c>). For <c>n ≥ 4</c>, <c>n ≠ 5</c>, the layers <c>j = 0</c> and <c>j = 1</c> are complete, so every beak type is
/// shared by at least two species with different wings and every wing type by at least two species with
/// different beaks: a classifier must look at both. The first beak types differ in shape and colour at once
/// (shape <c>i mod 5</c>, colour <c>i mod 4</c>, long from <c>i ≥ 20</c>); wing types in pattern and colour
/// (pattern <c>i mod 4</c>, colour <c>i mod 9</c>).
/// </summary>
public static class SynthBirdsSpecies
{
    private static readonly NamedColour[] BeakColours =
    [
        new("Yellow", 240, 200, 20),
        new("Black", 20, 20, 20),
        new("Red", 215, 35, 30),
        new("White", 250, 250, 250),
    ];

    private static readonly NamedColour[] WingColours =
    [
        new("Blue", 30, 80, 230),
        new("Orange", 245, 130, 20),
        new("Green", 30, 170, 50),
        new("Purple", 140, 40, 190),
        new("Cyan", 20, 200, 210),
        new("Pink", 245, 110, 190),
        new("Crimson", 200, 20, 60),
        new("Lime", 170, 225, 20),
        new("Navy", 20, 30, 120),
    ];

    private static readonly NamedColour Dark = new("Dark", 25, 25, 25);
    private static readonly NamedColour Light = new("Light", 240, 240, 240);

    /// <summary>The first <paramref name="count"/> species (1..66).</summary>
    public static IReadOnlyList<SynthBirdSpecies> Table(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, SynthBirdsOptions.MaxSpecies);
        var m = Math.Max(2, count / 2);
        if (m * m < count)
        {
            m++; // only count = 5: two beaks × two wings give 4 pairs
        }
        var list = new List<SynthBirdSpecies>(count);
        for (var j = 0; list.Count < count; j++)
        {
            for (var i = 0; i < m && list.Count < count; i++)
            {
                var beak = Beak(i);
                var wing = Wing((i + j) % m);
                var name = $"{beak.Colour.Name}_{(beak.Long ? "Long" : string.Empty)}{beak.Shape}_Beak_{wing.Colour.Name}_{wing.Pattern}_Wing";
                list.Add(new SynthBirdSpecies(list.Count, name, beak, wing));
            }
        }

        return list;
    }

    /// <summary>Beak type <paramref name="i"/> (0..39), all distinct.</summary>
    public static BeakType Beak(int i) => new((BeakShape)(i % 5), i / 20 % 2 == 1, BeakColours[i % 4]);

    /// <summary>Wing type <paramref name="i"/> (0..35), all distinct.</summary>
    public static WingType Wing(int i)
    {
        var colour = WingColours[i % 9];
        var luma = (0.299 * colour.R) + (0.587 * colour.G) + (0.114 * colour.B);
        return new WingType((WingPattern)(i % 4), colour, luma > 110 ? Dark : Light);
    }
}
