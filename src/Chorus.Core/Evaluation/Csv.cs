using System.Globalization;
using System.Text;

namespace Chorus.Evaluation;

/// <summary>
/// Minimal RFC 4180 CSV: fields holding a comma, quote, CR or LF are quoted and quotes doubled; lines end in LF
/// (the reader accepts CRLF too). Numbers use the invariant culture and the shortest round-trip form; NaN is
/// written as <c>NaN</c>; booleans as <c>true</c>/<c>false</c>.
/// </summary>
internal static class Csv
{
    public static string Field(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    public static string Field(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Field(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Field(bool value) => value ? "true" : "false";

    public static void Write(string path, string header, IEnumerable<string[]> rows)
    {
        var sb = new StringBuilder();
        sb.Append(header).Append('\n');
        foreach (var row in rows)
        {
            sb.AppendJoin(',', row).Append('\n');
        }

        IO.AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads a CSV whose header must equal <paramref name="header"/>; yields (line number, fields).</summary>
    public static List<(int Line, string[] Fields)> Read(string path, string header)
    {
        var text = File.ReadAllText(path, Encoding.UTF8);
        var records = Parse(text, path);
        if (records.Count == 0 || string.Join(',', records[0].Fields) != header)
        {
            throw new InvalidDataException($"{path}: expected header '{header}', found '{(records.Count == 0 ? "(empty file)" : string.Join(',', records[0].Fields))}'.");
        }

        var width = header.Split(',').Length;
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Length != width)
            {
                throw new InvalidDataException($"{path}:{line}: expected {width} fields, found {fields.Length}.");
            }
        }

        return records.GetRange(1, records.Count - 1);
    }

    public static double ParseDouble(string s, string path, int line, string column) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{path}:{line}: column {column}: '{s}' is not a number.");

    public static int ParseInt(string s, string path, int line, string column) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{path}:{line}: column {column}: '{s}' is not an integer.");

    public static bool ParseBool(string s, string path, int line, string column) => s switch
    {
        "true" or "True" or "1" => true,
        "false" or "False" or "0" => false,
        _ => throw new InvalidDataException($"{path}:{line}: column {column}: '{s}' is not true/false."),
    };

    private static List<(int Line, string[] Fields)> Parse(string text, string path)
    {
        var records = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var i = 0;
        var atRecordStart = true;
        while (i < text.Length)
        {
            var c = text[i];
            if (atRecordStart)
            {
                recordLine = line;
                atRecordStart = false;
            }

            if (c == '"' && field.Length == 0)
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new InvalidDataException($"{path}:{recordLine}: unterminated quoted field.");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    if (text[i] == '\n')
                    {
                        line++;
                    }

                    field.Append(text[i++]);
                }

                if (i < text.Length && text[i] != ',' && text[i] != '\r' && text[i] != '\n')
                {
                    throw new InvalidDataException($"{path}:{line}: unexpected character after a quoted field.");
                }

                continue;
            }

            if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                i++;
            }
            else if (c == '\r' || c == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                records.Add((recordLine, fields.ToArray()));
                fields.Clear();
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                line++;
                atRecordStart = true;
            }
            else
            {
                field.Append(c);
                i++;
            }
        }

        if (!atRecordStart)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields.ToArray()));
        }

        return records;
    }
}
