using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chorus.Evaluation;

/// <summary>Values of the <c>aggregate</c> column.</summary>
public static class Aggregates
{
    /// <summary>Metric of the per-pixel aggregated map.</summary>
    public const string EnsAvg = "ens_avg";

    /// <summary>Metric of each member's own map, averaged over members.</summary>
    public const string ExpAvg = "exp_avg";
}

/// <summary>One line of results.csv.</summary>
/// <param name="Part">Expert region, e.g. <c>beak</c>.</param>
/// <param name="Method">Attribution method name.</param>
/// <param name="Metric">Metric registry name.</param>
/// <param name="Aggregate"><see cref="Aggregates.EnsAvg"/> or <see cref="Aggregates.ExpAvg"/>.</param>
/// <param name="Mean">Mean over images with a finite score.</param>
/// <param name="Std">Sample std across those images.</param>
/// <param name="CiLow">Bootstrap 95 % CI of the mean, low end.</param>
/// <param name="CiHigh">High end.</param>
/// <param name="NImages">Images with a finite score.</param>
/// <param name="NExcluded">Images not used: part not visible plus score undefined (NaN).</param>
/// <param name="HigherIsBetter">Direction of the metric.</param>
/// <param name="WilcoxonP">Two-sided Wilcoxon signed-rank p of per-image ens vs exp (same value on both rows).</param>
public sealed record ResultRow(
    string Part,
    string Method,
    string Metric,
    string Aggregate,
    double Mean,
    double Std,
    double CiLow,
    double CiHigh,
    int NImages,
    int NExcluded,
    bool HigherIsBetter,
    double WilcoxonP);

/// <summary>One line of per_image.csv.</summary>
public sealed record PerImageRow(string ImageId, string Part, string Method, string Metric, double EnsAvg, double ExpAvg);

/// <summary>One line of curves.csv.</summary>
public sealed record CurveRow(string Part, string Method, string Metric, int K, double Mean, double Std);

/// <summary>results.csv: writer and reader.</summary>
public static class ResultsCsv
{
    public const string Header = "part,method,metric,aggregate,mean,std,ci_low,ci_high,n_images,n_excluded,higher_is_better,wilcoxon_p";

    /// <summary>Writes <paramref name="rows"/> atomically.</summary>
    public static void Write(string path, IEnumerable<ResultRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Csv.Write(path, Header, rows.Select(r => new[]
        {
            Csv.Field(r.Part), Csv.Field(r.Method), Csv.Field(r.Metric), Csv.Field(r.Aggregate),
            Csv.Field(r.Mean), Csv.Field(r.Std), Csv.Field(r.CiLow), Csv.Field(r.CiHigh),
            Csv.Field(r.NImages), Csv.Field(r.NExcluded), Csv.Field(r.HigherIsBetter), Csv.Field(r.WilcoxonP),
        }));
    }

    /// <summary>Reads a results.csv written by <see cref="Write"/> (or any file with the same header).</summary>
    /// <exception cref="InvalidDataException">Wrong header, field count or value; the message names file and line.</exception>
    public static IReadOnlyList<ResultRow> Read(string path) =>
        [.. Csv.Read(path, Header).Select(x =>
        {
            var (line, f) = x;
            return new ResultRow(
                f[0], f[1], f[2], f[3],
                Csv.ParseDouble(f[4], path, line, "mean"),
                Csv.ParseDouble(f[5], path, line, "std"),
                Csv.ParseDouble(f[6], path, line, "ci_low"),
                Csv.ParseDouble(f[7], path, line, "ci_high"),
                Csv.ParseInt(f[8], path, line, "n_images"),
                Csv.ParseInt(f[9], path, line, "n_excluded"),
                Csv.ParseBool(f[10], path, line, "higher_is_better"),
                Csv.ParseDouble(f[11], path, line, "wilcoxon_p"));
        })];
}

/// <summary>per_image.csv: writer and reader.</summary>
public static class PerImageCsv
{
    public const string Header = "image_id,part,method,metric,ens_avg,exp_avg";

    public static void Write(string path, IEnumerable<PerImageRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Csv.Write(path, Header, rows.Select(r => new[]
        {
            Csv.Field(r.ImageId), Csv.Field(r.Part), Csv.Field(r.Method), Csv.Field(r.Metric), Csv.Field(r.EnsAvg), Csv.Field(r.ExpAvg),
        }));
    }

    public static IReadOnlyList<PerImageRow> Read(string path) =>
        [.. Csv.Read(path, Header).Select(x => new PerImageRow(
            x.Fields[0], x.Fields[1], x.Fields[2], x.Fields[3],
            Csv.ParseDouble(x.Fields[4], path, x.Line, "ens_avg"),
            Csv.ParseDouble(x.Fields[5], path, x.Line, "exp_avg")))];
}

/// <summary>curves.csv: writer and reader.</summary>
public static class CurvesCsv
{
    public const string Header = "part,method,metric,k,mean,std";

    public static void Write(string path, IEnumerable<CurveRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Csv.Write(path, Header, rows.Select(r => new[]
        {
            Csv.Field(r.Part), Csv.Field(r.Method), Csv.Field(r.Metric), Csv.Field(r.K), Csv.Field(r.Mean), Csv.Field(r.Std),
        }));
    }

    public static IReadOnlyList<CurveRow> Read(string path) =>
        [.. Csv.Read(path, Header).Select(x => new CurveRow(
            x.Fields[0], x.Fields[1], x.Fields[2],
            Csv.ParseInt(x.Fields[3], path, x.Line, "k"),
            Csv.ParseDouble(x.Fields[4], path, x.Line, "mean"),
            Csv.ParseDouble(x.Fields[5], path, x.Line, "std")))];
}

/// <summary>One point of a mean faithfulness curve (faithfulness_curves.csv).</summary>
/// <param name="Method">Attribution method.</param>
/// <param name="Curve"><c>deletion</c> or <c>insertion</c>.</param>
/// <param name="Aggregate"><see cref="Aggregates.EnsAvg"/> or <see cref="Aggregates.ExpAvg"/>.</param>
/// <param name="Fraction">Fraction of pixels changed, 0..1.</param>
/// <param name="Mean">Target score, averaged over images and members.</param>
public sealed record FaithfulnessCurveRow(string Method, string Curve, string Aggregate, double Fraction, double Mean);

/// <summary>faithfulness_curves.csv: writer and reader.</summary>
public static class FaithfulnessCurvesCsv
{
    public const string Header = "method,curve,aggregate,fraction,mean";

    public static void Write(string path, IEnumerable<FaithfulnessCurveRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Csv.Write(path, Header, rows.Select(r => new[]
        {
            Csv.Field(r.Method), Csv.Field(r.Curve), Csv.Field(r.Aggregate), Csv.Field(r.Fraction), Csv.Field(r.Mean),
        }));
    }

    public static IReadOnlyList<FaithfulnessCurveRow> Read(string path) =>
        [.. Csv.Read(path, Header).Select(x => new FaithfulnessCurveRow(
            x.Fields[0], x.Fields[1], x.Fields[2],
            Csv.ParseDouble(x.Fields[3], path, x.Line, "fraction"),
            Csv.ParseDouble(x.Fields[4], path, x.Line, "mean")))];
}

/// <summary>summary.json: System.Text.Json, snake_case, indented; non-finite numbers become null.</summary>
public static class SummaryJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new FiniteOrNullConverter() },
    };

    public static void Write(string path, RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        IO.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(summary, Options) + "\n");
    }

    public static RunSummary Read(string path) =>
        JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path}: empty summary.");

    /// <summary>Writes NaN/±∞ as null and reads null back as NaN.</summary>
    private sealed class FiniteOrNullConverter : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }
}
