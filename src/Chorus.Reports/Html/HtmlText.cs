using System.Globalization;
using System.Text;

namespace Chorus.Reports.Html;

/// <summary>HTML/SVG text helpers: every string that comes from data goes through <see cref="Escape"/>.</summary>
public static class HtmlText
{
    /// <summary>Escapes <c>&amp; &lt; &gt; " '</c> for element content and quoted attribute values.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    /// <summary>A number for tables: 4 significant digits, invariant culture, "–" for NaN.</summary>
    public static string Number(double value) =>
        double.IsFinite(value) ? value.ToString("G4", CultureInfo.InvariantCulture) : "–";

    /// <summary>A p-value: 3 significant digits, or "&lt; 0.001".</summary>
    public static string PValue(double p) =>
        !double.IsFinite(p) ? "–" : p < 0.001 ? "&lt; 0.001" : p.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>A coordinate for SVG: two decimals, invariant culture.</summary>
    public static string Coord(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A file-name-safe slug of <paramref name="text"/> (letters, digits, '-', '_').</summary>
    public static string Slug(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return sb.ToString();
    }
}
