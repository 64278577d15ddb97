using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.IO;

namespace Chorus.Runs;

/// <summary>
/// What a run folder records about how it was produced: the command, seeds, every option, package
/// versions, the machine and the time each stage took. Written as <c>manifest.json</c>, atomically, after
/// every stage, so an interrupted run still says what it had done.
/// </summary>
public sealed class RunManifest
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The CLI command (e.g. <c>demo</c>, <c>train</c>).</summary>
    public string Command { get; set; } = "";

    /// <summary>Start time, UTC, ISO 8601.</summary>
    public string StartedUtc { get; set; } = DateTimeOffset.UtcNow.ToString("O");

    /// <summary>Named seeds (dataset, training, attribution, bootstrap…).</summary>
    public SortedDictionary<string, long> Seeds { get; } = new(StringComparer.Ordinal);

    /// <summary>Options records by stage, serialised as JSON.</summary>
    public SortedDictionary<string, JsonNode?> Options { get; } = new(StringComparer.Ordinal);

    /// <summary>Versions of Chorus and the packages it ran with.</summary>
    public SortedDictionary<string, string> Versions { get; } = new(StringComparer.Ordinal);

    /// <summary>Machine facts: OS, cores, threads.</summary>
    public SortedDictionary<string, string> Machine { get; } = new(StringComparer.Ordinal);

    /// <summary>Wall time of each stage in seconds, in the order the stages ran.</summary>
    public List<KeyValuePair<string, double>> TimingsSeconds { get; } = [];

    /// <summary>Free-form results worth finding at a glance (accuracies, counts).</summary>
    public SortedDictionary<string, JsonNode?> Results { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Earlier invocations in the same folder (a resumed or repeated run), oldest first: each one's command, start time
    /// and <c>timings_s</c>, carried over by <see cref="Save"/> from the manifest it replaces. Without it a resumed run
    /// would overwrite the stage times of the work it resumed (its own training stage takes a fraction of a second).
    /// </summary>
    public JsonArray EarlierRuns { get; } = [];

    private bool _carriedOver;

    /// <summary>Records an options object under <paramref name="stage"/>.</summary>
    public void SetOptions<T>(string stage, T options) => Options[stage] = JsonSerializer.SerializeToNode(options);

    /// <summary>Records the informational version of the assembly that defines <paramref name="type"/>.</summary>
    public void AddVersionOf(string name, Type type)
    {
        var asm = type.Assembly;
        var v = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? asm.GetName().Version?.ToString() ?? "unknown";
        var plus = v.IndexOf('+', StringComparison.Ordinal);
        Versions[name] = plus > 0 && name != "chorus" ? v[..plus] : v;
    }

    /// <summary>Fills <see cref="Machine"/> with what the runtime can tell.</summary>
    public void CaptureMachine()
    {
        Machine["os"] = RuntimeInformation.OSDescription;
        Machine["arch"] = RuntimeInformation.ProcessArchitecture.ToString();
        Machine["cores"] = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Machine["dotnet"] = RuntimeInformation.FrameworkDescription;
        Machine["host"] = Environment.MachineName;
        foreach (var (key, value) in SchedulerEnvironment.Current.Describe())
        {
            Machine[key] = value;
        }
    }

    /// <summary>
    /// The numerics verdict of the process that wrote the run (configuration, CPU, each probe's error, model checks), as
    /// <c>Chorus.Torch.Numerics.NumericsVerdict.ToJson</c> gives it; null when no tensor work was checked.
    /// </summary>
    public JsonObject? Numerics { get; set; }

    /// <summary>Serialises to indented JSON.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["command"] = Command,
            ["started_utc"] = StartedUtc,
            ["seeds"] = ToObject(Seeds.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["options"] = ToObject(Options.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
            ["versions"] = ToObject(Versions.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["machine"] = ToObject(Machine.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["timings_s"] = ToObject(TimingsSeconds.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 3)))),
            ["results"] = ToObject(Results.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
        };
        if (Numerics is not null)
        {
            o["numerics"] = Numerics.DeepClone();
        }

        if (EarlierRuns.Count > 0)
        {
            o["earlier_runs"] = EarlierRuns.DeepClone();
        }

        return o.ToJsonString(Indented);
    }

    /// <summary>
    /// Writes <c>manifest.json</c> into <paramref name="folder"/>, atomically. The first save of this manifest carries the
    /// replaced manifest's own run and its <c>earlier_runs</c> over into <see cref="EarlierRuns"/> (an unreadable old
    /// manifest is simply replaced).
    /// </summary>
    public void Save(string folder)
    {
        var path = Path.Combine(folder, "manifest.json");
        if (!_carriedOver)
        {
            _carriedOver = true;
            CarryOver(path);
        }

        AtomicFile.WriteAllText(path, ToJson() + "\n");
    }

    /// <summary>Writes this manifest to <paramref name="path"/> as well (e.g. one process's own record beside the shared one), atomically.</summary>
    public void SaveCopy(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, ToJson() + "\n");
    }

    private void CarryOver(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        JsonNode? old;
        try
        {
            old = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            return;
        }

        if (old is not JsonObject previous || previous["started_utc"]?.GetValue<string>() == StartedUtc)
        {
            return;
        }

        if (previous["earlier_runs"] is JsonArray earlier)
        {
            foreach (var run in earlier)
            {
                EarlierRuns.Add(run?.DeepClone());
            }
        }

        EarlierRuns.Add(new JsonObject
        {
            ["command"] = previous["command"]?.DeepClone(),
            ["started_utc"] = previous["started_utc"]?.DeepClone(),
            ["timings_s"] = previous["timings_s"]?.DeepClone(),
        });
    }

    /// <summary>Times <paramref name="action"/> and records it as stage <paramref name="stage"/>.</summary>
    public T Time<T>(string stage, Func<T> action)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var result = action();
        TimingsSeconds.Add(KeyValuePair.Create(stage, sw.Elapsed.TotalSeconds));
        return result;
    }

    private static JsonObject ToObject(IEnumerable<KeyValuePair<string, JsonNode?>> items)
    {
        var o = new JsonObject();
        foreach (var (k, v) in items)
        {
            o[k] = v;
        }

        return o;
    }
}
