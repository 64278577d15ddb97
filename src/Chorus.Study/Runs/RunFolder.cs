using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.Data.Loading;
using Chorus.Ensembles;
using Chorus.Explanations;
using Chorus.IO;

namespace Chorus.Study;

/// <summary>
/// A finished run folder loaded back from disk: manifest, the explained test images (with their ROIs rebuilt at the
/// run's size) and every member's maps. <c>maps[method][member][image]</c> follows <see cref="Chosen"/>.
/// </summary>
/// <param name="Folder">The run folder.</param>
/// <param name="Manifest">manifest.json.</param>
/// <param name="Test">The test split at the run's size, with the study's parts.</param>
/// <param name="Chosen">Indices into <paramref name="Test"/> of the explained images, in map order.</param>
/// <param name="Methods">Methods, in table order.</param>
/// <param name="Maps">maps[method][member][image].</param>
/// <param name="ClassNames">Class names by class index.</param>
/// <param name="Seed">The study seed (image choice, bootstrap, curve orders).</param>
public sealed record RunData(
    string Folder,
    JsonNode Manifest,
    LoadedSplit Test,
    int[] Chosen,
    IReadOnlyList<string> Methods,
    IReadOnlyDictionary<string, SaliencyMap[][]> Maps,
    IReadOnlyList<string> ClassNames,
    long Seed)
{
    /// <summary>The dataset format (<c>cub</c>, <c>isic2018</c>); runs written before it was recorded are <c>cub</c>.</summary>
    public string Format { get; init; } = StudyDataset.Cub;

    /// <summary>The parts (region names of <see cref="LoadedSplit.Regions"/>) the run scores, in table order.</summary>
    public IReadOnlyList<string> Parts { get; init; } = StudyDataset.DefaultParts(StudyDataset.Cub);

    /// <summary>How member maps are combined (the run's <c>options.study.Aggregate</c>; runs from before it: the mean).</summary>
    public IEnsembleAggregator Aggregator { get; init; } = EnsembleAggregator.Mean;

    /// <summary>The paths of <see cref="Folder"/>.</summary>
    public RunLayout Layout => new(Folder);

    /// <summary>The explained images' pixels ([image, 3, size, size], in map order) and labels (the explained classes).</summary>
    public (float[] Pixels, int[] Labels) ExplainedImages() => Test.Gather(Chosen);

    /// <summary>Number of ensemble members.</summary>
    public int Members => Maps.Values.First().Length;

    /// <summary>Ids (as text) of the explained images, in map order.</summary>
    public IReadOnlyList<string> ImageIds => [.. Chosen.Select(i => Test.ImageIds[i].ToString(CultureInfo.InvariantCulture))];

    /// <summary>Members (1-based) that training found not clearly above the majority-class baseline (manifest <c>results.members_below_baseline</c>).</summary>
    public IReadOnlyList<int> MembersBelowBaseline =>
        Manifest["results"]?["members_below_baseline"] is JsonArray a ? [.. a.Select(n => n!.GetValue<int>())] : [];

    /// <summary>A one-line warning naming <see cref="MembersBelowBaseline"/>, or null when there are none.</summary>
    public string? BelowBaselineWarning => MembersBelowBaseline.Count == 0 ? null
        : $"member(s) {string.Join(", ", MembersBelowBaseline)} of this run were not clearly above the majority-class baseline when trained (manifest results): their maps explain models that did not learn, and they are in every Ens-Avg and Exp-Avg below.";
}

/// <summary>Reads run folders written by <see cref="StudyRunner"/> and records which test images were explained.</summary>
public static class RunFolder
{
    /// <summary>Writes <c>run/explained.json</c>: the test image ids explained, in map order.</summary>
    public static void WriteExplained(RunLayout layout, LoadedSplit test, int[] chosen)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(chosen);
        var o = new JsonObject
        {
            ["split"] = "test",
            ["size"] = test.Size,
            ["image_ids"] = new JsonArray([.. chosen.Select(i => (JsonNode)test.ImageIds[i])]),
        };
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(layout.Run);
        AtomicFile.WriteAllText(layout.Explained, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Loads a finished run from <paramref name="folder"/>.</summary>
    /// <param name="folder">The run folder (the <c>--out</c> of <c>demo</c>).</param>
    /// <param name="dataOverride">Dataset folder to use instead of the one the manifest names.</param>
    /// <param name="note">Receives notes (e.g. the explained images were reconstructed).</param>
    /// <exception cref="ChorusException">Not a run folder, or an incomplete one; the message names the missing file.</exception>
    public static RunData Load(string folder, string? dataOverride = null, Action<string>? note = null)
    {
        var study = ReadStudy(folder, out var manifest);
        var methods = Strings(study, "Methods", folder);
        var members = study["Training"]?["Members"]?.GetValue<int>() ?? throw Incomplete(folder, "manifest.json has no options.study.Training.Members");
        var size = study["ImageSize"]?.GetValue<int>() ?? throw Incomplete(folder, "manifest.json has no options.study.ImageSize");
        var seed = study["Seed"]?.GetValue<long>() ?? 0;
        var layout = new RunLayout(folder);
        var runDir = layout.Run;
        foreach (var method in methods)
        {
            for (var m = 0; m < members; m++)
            {
                var path = layout.Maps(method, m);
                if (!File.Exists(path))
                {
                    throw new ChorusException($"{folder} is an incomplete run: {Path.GetRelativePath(folder, path)} is missing (was the run interrupted? run the same demo command again to finish it).");
                }
            }
        }

        var dataDir = DataDir(folder, study, dataOverride);
        var (dataset, parts) = OpenDataset(manifest, study, dataDir, seed);
        var test = dataset.LoadTest(size);
        var missing = parts.FirstOrDefault(p => !test.Regions.ContainsKey(p));
        if (missing is not null)
        {
            throw new ChorusException($"{layout.Manifest}: the run scored part '{missing}', which the {dataset.Format} dataset {dataDir} does not have (it has {string.Join(", ", test.Regions.Keys)}).");
        }

        var chosen = Explained(folder, runDir, test, study, seed, note);
        var maps = new Dictionary<string, SaliencyMap[][]>(StringComparer.Ordinal);
        foreach (var method in methods)
        {
            maps[method] = [.. Enumerable.Range(0, members).Select(m => LoadMaps(layout.Maps(method, m), chosen.Length, size))];
        }

        return new RunData(folder, manifest, test, chosen, methods, maps, dataset.ClassNames, seed) { Format = dataset.Format, Parts = parts, Aggregator = AggregatorOf(study, folder) };
    }

    /// <summary>
    /// <paramref name="count"/> images of the run's training split (fewer when it has fewer), drawn by a seeded shuffle
    /// (the run's seed): pixels [count,3,S,S], labels and image ids. The images the smoothing control's σ is fitted on
    /// (<see cref="StudyRunner.ExplainControlFit"/>): never test images.
    /// </summary>
    public static (float[] Pixels, int[] Labels, int[] Ids) TrainingImages(RunData run, int count, string? dataOverride = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var study = ReadStudy(run.Folder, out var manifest);
        var size = run.Test.Size;
        var (dataset, _) = OpenDataset(manifest, study, DataDir(run.Folder, study, dataOverride), run.Seed);
        var train = dataset.LoadSplits(size).Train;
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(unchecked((int)run.Seed) + 7_919).Shuffle(order);
        var chosen = order.Take(Math.Min(count, train.Count)).ToArray();
        var (pixels, labels) = train.Gather(chosen);
        return (pixels, labels, [.. chosen.Select(i => train.ImageIds[i])]);
    }

    /// <summary>
    /// The member maps of the training images the smoothing control is fitted on (<c>OUT/controls/train</c>, written by
    /// <see cref="StudyRunner.ExplainControlFit"/>) as maps[method][member][image], or null when they are not all there.
    /// </summary>
    public static IReadOnlyDictionary<string, SaliencyMap[][]>? ControlFitMaps(RunData run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var layout = run.Layout.ControlFit;
        if (!File.Exists(layout.Explained))
        {
            return null;
        }

        var count = JsonNode.Parse(File.ReadAllText(layout.Explained))?["image_ids"]?.AsArray().Count ?? 0;
        var maps = new Dictionary<string, SaliencyMap[][]>(StringComparer.Ordinal);
        foreach (var method in run.Methods)
        {
            if (count == 0 || Enumerable.Range(0, run.Members).Any(m => !File.Exists(layout.Maps(method, m))))
            {
                return null;
            }

            maps[method] = [.. Enumerable.Range(0, run.Members).Select(m => LoadMaps(layout.Maps(method, m), count, run.Test.Size))];
        }

        return maps;
    }

    /// <summary>A run's data from what <see cref="StudyRunner"/> holds in memory (no maps or images re-read).</summary>
    public static RunData FromMemory(string folder, LoadedSplit test, int[] chosen, IReadOnlyList<string> methods, IReadOnlyDictionary<string, SaliencyMap[][]> maps, StudyDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var study = ReadStudy(folder, out var manifest);
        return new RunData(folder, manifest, test, chosen, methods, maps, dataset.ClassNames, study["Seed"]?.GetValue<long>() ?? 0) { Format = dataset.Format, Parts = dataset.Parts, Aggregator = AggregatorOf(study, folder) };
    }

    private static IEnsembleAggregator AggregatorOf(JsonObject study, string folder)
    {
        var name = study["Aggregate"]?.GetValue<string>() ?? "mean";
        try
        {
            return EnsembleAggregator.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new ChorusException($"{new RunLayout(folder).Manifest}: options.study.Aggregate: {e.Message}");
        }
    }

    /// <summary>Throws a <see cref="ChorusException"/> naming the first of <paramref name="files"/> missing from <paramref name="folder"/>.</summary>
    public static void Require(string folder, params string[] files)
    {
        foreach (var f in files)
        {
            if (!File.Exists(Path.Combine(folder, f)))
            {
                throw new ChorusException($"{folder} is an incomplete run: {f} is missing.");
            }
        }
    }

    private static JsonObject ReadStudy(string folder, out JsonNode manifest)
    {
        if (!Directory.Exists(folder))
        {
            throw new ChorusException($"Run folder '{folder}' does not exist.");
        }

        var path = new RunLayout(folder).Manifest;
        if (!File.Exists(path))
        {
            throw new ChorusException($"{folder} is not a run folder: manifest.json is missing (give the --out folder of `chorus demo`).");
        }

        try
        {
            manifest = JsonNode.Parse(File.ReadAllText(path)) ?? throw new ChorusException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new ChorusException($"{path} is not valid JSON: {e.Message}");
        }

        return manifest["options"]?["study"] as JsonObject
            ?? throw new ChorusException($"{path} has no options.study; it was not written by a study run.");
    }

    /// <summary>
    /// Opens the run's dataset as the run did, from the manifest's <c>options.dataset</c> (format, parts, split seed,
    /// bad-image policy). Runs written before that record are CUB runs scoring beak and wings.
    /// </summary>
    private static (StudyDataset Dataset, IReadOnlyList<string> Parts) OpenDataset(JsonNode manifest, JsonObject study, string dataDir, long seed)
    {
        if (manifest["options"]?["dataset"] is not JsonObject record)
        {
            var skip = study["SkipBadImages"]?.GetValue<bool>() ?? false;
            var old = StudyDataset.Open(dataDir, StudyDataset.Cub, new StudyDataOptions(skip ? BadImagePolicy.Skip : BadImagePolicy.Fail, seed));
            return (old, StudyDataset.DefaultParts(StudyDataset.Cub));
        }

        var format = record["format"]?.GetValue<string>() ?? StudyDataset.Cub;
        var policy = record["on_bad_image"]?.GetValue<string>() == "fail" ? BadImagePolicy.Fail : BadImagePolicy.Skip;
        var shape = record["roi_shape"]?.GetValue<string>() == "gaussian" ? Chorus.Data.Regions.RoiShape.Gaussian : Chorus.Data.Regions.RoiShape.Disc;
        var roi = new Chorus.Data.Regions.RoiOptions(record["roi_radius"]?.GetValue<double>() ?? 0.1, Shape: shape);
        var options = new StudyDataOptions(policy, record["split_seed"]?.GetValue<long>() ?? seed, record["test_fraction"]?.GetValue<double>() ?? 0.3, record["classes_selected"]?.GetValue<string>(), roi, Crop: record["crop"]?.GetValue<bool>() ?? false);
        var dataset = StudyDataset.Open(dataDir, format, options);
        IReadOnlyList<string> parts = record["parts"] is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : dataset.Parts;
        return (dataset, parts);
    }

    private static string DataDir(string folder, JsonObject study, string? dataOverride)
    {
        if (dataOverride is not null)
        {
            return Directory.Exists(dataOverride) ? dataOverride : throw new ChorusException($"Data folder '{dataOverride}' does not exist.");
        }

        var data = study["Data"]?.GetValue<string>();
        var candidates = data is null
            ? [new RunLayout(folder).GeneratedData]
            : new[] { data, Path.Combine(folder, data) };
        return candidates.FirstOrDefault(Directory.Exists)
            ?? throw new ChorusException($"The run's dataset was not found (looked in {string.Join(", ", candidates)}); pass --data.");
    }

    private static int[] Explained(string folder, string runDir, LoadedSplit test, JsonObject study, long seed, Action<string>? note)
    {
        var byId = new Dictionary<int, int>();
        for (var i = 0; i < test.Count; i++)
        {
            byId[test.ImageIds[i]] = i;
        }

        var path = new RunLayout(folder).Explained;
        if (File.Exists(path))
        {
            var ids = JsonNode.Parse(File.ReadAllText(path))?["image_ids"]?.AsArray().Select(n => n!.GetValue<int>()).ToArray()
                ?? throw new ChorusException($"{path} has no image_ids.");
            return [.. ids.Select(id => byId.TryGetValue(id, out var i) ? i : throw new ChorusException($"{path}: test image {id} is not in the dataset's test split (was the dataset changed?)."))];
        }

        // Runs written before explained.json: the choice is a pure function of the test count, --explain and the seed.
        note?.Invoke($"{Path.GetRelativePath(folder, path)} is missing; the explained images were reconstructed from the manifest (explain count and seed).");
        var count = study["ExplainCount"]?.GetValue<int>() ?? 0;
        return StudyRunner.ChooseImages(test.Count, count, seed);
    }

    private static SaliencyMap[] LoadMaps(string path, int n, int size) => SaliencyMap.LoadStack(path, n, size, size);

    private static string[] Strings(JsonObject study, string key, string folder) =>
        study[key] is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : throw Incomplete(folder, $"manifest.json has no options.study.{key}");

    private static ChorusException Incomplete(string folder, string what) => new($"{folder} is an incomplete run: {what}.");
}
