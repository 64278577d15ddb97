using System.Globalization;

namespace Chorus.Data.Cub;

/// <summary>Parses and prints sets of 1-based class ids such as <c>1-66</c> or <c>1,5,9-12</c> (see <see cref="CubLoadOptions.Classes"/>).</summary>
public static class ClassSelection
{
    /// <summary>
    /// Parses comma-separated ids and inclusive ranges <c>a-b</c> (spaces allowed, overlaps merged), e.g. <c>1-66</c> or
    /// <c>1,5,9-12</c>. Whether the ids exist is checked by <see cref="CubDataset.Load"/>.
    /// </summary>
    /// <exception cref="FormatException">Empty text, a part that is not an id or range, an id below 1, or a range whose end is below its start.</exception>
    public static IReadOnlySet<int> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new SortedSet<int>();
        if (text.Trim().Length == 0)
        {
            throw new FormatException("Empty class selection: give class ids such as 1-66 or 1,5,9-12.");
        }

        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var dash = part.IndexOf('-', 1 < part.Length ? 1 : 0);
            var (a, b) = dash > 0 ? (Id(part[..dash], text), Id(part[(dash + 1)..], text)) : (Id(part, text), Id(part, text));
            if (b < a)
            {
                throw new FormatException($"Bad class selection '{text}': range '{part}' ends before it starts.");
            }

            for (var id = a; id <= b; id++)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>The shortest text that <see cref="Parse"/> reads back as <paramref name="ids"/>, e.g. <c>1-3,7</c>.</summary>
    public static string Format(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sorted = ids.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            parts.Add(j == i ? Str(sorted[i]) : $"{Str(sorted[i])}-{Str(sorted[j])}");
            i = j + 1;
        }

        return string.Join(',', parts);
    }

    private static int Id(string s, string text)
    {
        s = s.Trim();
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
        {
            throw new FormatException($"Bad class selection '{text}': '{s}' is not a class id (ids are integers from 1); use e.g. 1-66 or 1,5,9-12.");
        }

        if (id > 1_000_000)
        {
            throw new FormatException($"Bad class selection '{text}': class id {id} is too large.");
        }

        return id;
    }

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);
}
