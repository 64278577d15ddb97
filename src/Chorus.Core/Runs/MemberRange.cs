using System.Globalization;

namespace Chorus.Runs;

/// <summary>
/// A contiguous range of ensemble members, 0-based and inclusive (<c>3-5</c> = members 3, 4 and 5), so that the members
/// of one study can be trained and explained by several processes or machines and merged afterwards.
/// </summary>
/// <param name="First">The first member (0-based).</param>
/// <param name="Last">The last member (inclusive).</param>
public sealed record MemberRange(int First, int Last)
{
    /// <summary>Every member of an ensemble of <paramref name="members"/>.</summary>
    public static MemberRange All(int members) => new(0, members - 1);

    /// <summary>The members, in order.</summary>
    public IEnumerable<int> Members => Enumerable.Range(First, Last - First + 1);

    /// <summary>Whether <paramref name="member"/> is in the range.</summary>
    public bool Contains(int member) => member >= First && member <= Last;

    /// <summary>Parses <c>A-B</c> or <c>A</c> (0-based, inclusive).</summary>
    /// <exception cref="FormatException">Not a range, or the end before the start.</exception>
    public static MemberRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('-');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"expected a member range such as 0-3 or 5 (0-based, inclusive), got '{text}'.");
        }

        var first = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var last = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : first;
        return last < first ? throw new FormatException($"the range '{text}' ends before it starts.") : new MemberRange(first, last);
    }

    /// <summary>Throws when the range does not fit an ensemble of <paramref name="members"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range reaches past the last member.</exception>
    public void Validate(int members)
    {
        if (First < 0 || Last >= members)
        {
            throw new ArgumentOutOfRangeException(nameof(members), $"Members {this} do not fit an ensemble of {members} (0-{members - 1}).");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => First == Last ? First.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
