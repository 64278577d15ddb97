using System.ComponentModel;
using Chorus.Data.Cub;
using Chorus.Data.Folders;
using Chorus.Data.Isic;
using Chorus.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus data check DIR [--format cub|isic2018|folder]</c>: validates a dataset folder, prints a summary and the first
/// problems (file:line). Exit 0 without problems, 1 with problems; a missing folder or bad option is a user error (2).
/// Without <c>--format</c> the layout is detected: CUB's text files (<c>images.txt</c>, <c>classes.txt</c>, …) → cub, the ISIC 2018 folders or <c>ISIC_*.jpg</c> files →
/// isic2018, else folder. Images are decoded (corrupt/truncated files, masks) unless <c>--no-decode</c>.
/// </summary>
public sealed class DataCheckCommand(IAnsiConsole console) : Command<DataCheckCommand.Settings>
{
    /// <summary>At most this many problems are printed.</summary>
    public const int MaxShown = 20;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<DIR>")]
        [Description("The dataset folder.")]
        public string Dir { get; init; } = string.Empty;

        [CommandOption("-f|--format <FORMAT>")]
        [Description("cub (CUB-200-2011 layout, also SynthBirds), isic2018 (ISIC 2018 Task 1) or folder (root/<class>/*.jpg). Default: detected.")]
        public string? Format { get; init; }

        [CommandOption("--labels <CSV>")]
        [Description("isic2018 only: the labels CSV (default: the only *.csv at the root, if any).")]
        public string? Labels { get; init; }

        [CommandOption("--classes <IDS>")]
        [Description("cub only: check only these class ids, e.g. 1-66 or 1,5,9-12 (labels are renumbered 0..k-1).")]
        public string? Classes { get; init; }

        [CommandOption("--test-fraction <F>")]
        [Description("folder only, without split.csv: fraction of each class put in the test split.")]
        [DefaultValue(0.3)]
        public double TestFraction { get; init; } = 0.3;

        [CommandOption("--seed <SEED>")]
        [Description("folder only, without split.csv: seed of the split.")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        [CommandOption("--no-decode")]
        [Description("Read image headers only (faster; corrupt pixel data and non-binary masks are not found).")]
        public bool NoDecode { get; init; }

        public override ValidationResult Validate()
        {
            if (Format is not (null or "cub" or "isic2018" or "folder"))
            {
                return ValidationResult.Error($"Unknown --format '{Format}': use cub, isic2018 or folder.");
            }

            if (Classes is not null && Format is not (null or "cub"))
            {
                return ValidationResult.Error("--classes applies to --format cub only.");
            }

            return TestFraction is >= 0 and <= 1 ? ValidationResult.Success() : ValidationResult.Error($"--test-fraction must be in [0, 1], got {TestFraction}.");
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.Dir))
        {
            throw new DirectoryNotFoundException($"Dataset folder '{Path.GetFullPath(settings.Dir)}' does not exist.");
        }

        var format = settings.Format ?? StudyDataset.Detect(settings.Dir, forChecking: true);
        if (settings.Classes is not null && format != "cub")
        {
            throw new ChorusException($"--classes applies to CUB datasets only, but '{settings.Dir}' is a {format} dataset.");
        }

        var decode = !settings.NoDecode;
        var problems = format switch
        {
            "cub" => CheckCub(settings.Dir, settings.Classes is null ? null : ClassSelection.Parse(settings.Classes), decode),
            "isic2018" => CheckIsic(settings.Dir, settings.Labels, decode),
            _ => CheckFolder(settings.Dir, new FolderLoadOptions(settings.TestFraction, settings.Seed, CheckPixels: decode, Lenient: true)),
        };
        if (problems.Count == 0)
        {
            console.WriteLine("Problems: none");
            return 0;
        }

        console.WriteLine(problems.Count > MaxShown ? $"Problems: {problems.Count} (first {MaxShown})" : $"Problems: {problems.Count}");
        foreach (var p in problems.Take(MaxShown))
        {
            console.WriteLine("  " + p);
        }

        return 1;
    }

    private List<string> CheckCub(string dir, IReadOnlySet<int>? classes, bool decode)
    {
        var selection = classes is null ? string.Empty : $", classes {ClassSelection.Format(classes)}";
        console.WriteLine($"Format: cub ({Path.GetFullPath(dir)}{selection})");
        CubDataset ds;
        try
        {
            ds = CubDataset.Load(dir, new CubLoadOptions(Classes: classes, CheckImages: decode));
        }
        catch (CubFormatException e)
        {
            return e.Problems.Select(p => p.ToString()).ToList();
        }

        console.WriteLine($"Images: {ds.Images.Count}");
        console.WriteLine($"Classes: {ds.Classes.Count}");
        var counts = ds.Images.GroupBy(i => i.ClassIndex).ToDictionary(g => g.Key, g => g.Count());
        foreach (var c in ds.Classes)
        {
            console.WriteLine(classes is null ? $"  {c.Name}: {counts.GetValueOrDefault(c.Index)}" : $"  {c.Name} (id {c.Id}, label {c.Index}): {counts.GetValueOrDefault(c.Index)}");
        }

        console.WriteLine($"Splits: train {ds.Split(CubSplit.Train).Count}, test {ds.Split(CubSplit.Test).Count}");
        console.WriteLine($"Segmentations: {(ds.HasSegmentations ? "yes" : "no")}, part masks: {(ds.HasPartMasks ? "yes" : "no")}");
        if (ds.Parts.Count > 0)
        {
            console.WriteLine($"Parts visible (of {ds.Images.Count} images):");
            foreach (var part in ds.Parts)
            {
                console.WriteLine($"  {part.Name}: {ds.Images.Count(i => i.VisiblePart(part.Id) is not null)}");
            }
        }

        return [];
    }

    private List<string> CheckFolder(string dir, FolderLoadOptions options)
    {
        var ds = FolderDataset.Load(dir, options);
        console.WriteLine($"Format: folder ({ds.Root})");
        console.WriteLine($"Images: {ds.Images.Count}");
        console.WriteLine($"Classes: {ds.Classes.Count}");
        var counts = ds.Images.GroupBy(i => i.ClassIndex).ToDictionary(g => g.Key, g => g.Count());
        for (var c = 0; c < ds.Classes.Count; c++)
        {
            console.WriteLine($"  {ds.Classes[c]}: {counts.GetValueOrDefault(c)}");
        }

        var source = ds.HasSplitFile ? FolderDataset.SplitFile : $"seeded, test fraction {options.TestFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}, seed {options.Seed}";
        console.WriteLine($"Splits: train {ds.Split(FolderSplit.Train).Count}, test {ds.Split(FolderSplit.Test).Count} ({source})");
        console.WriteLine($"Masks: {ds.Images.Count(i => i.MaskPath is not null)} of {ds.Images.Count} images");
        var rows = ds.Images.SelectMany(i => i.Regions).ToList();
        console.WriteLine(rows.Count == 0
            ? $"Regions ({FolderDataset.RegionsFile}): none"
            : $"Regions ({FolderDataset.RegionsFile}): " + string.Join(", ", rows.GroupBy(r => r.Name).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key} ({g.Count()} rows on {ds.Images.Count(i => i.Regions.Any(r => r.Name == g.Key))} images)")));
        return ds.Problems.Select(p => p.ToString()).ToList();
    }

    private List<string> CheckIsic(string dir, string? labels, bool decode)
    {
        var ds = IsicDataset.Load(dir, new IsicLoadOptions(labels, Lenient: true, CheckPixels: decode));
        console.WriteLine($"Format: isic2018, {(ds.IsOfficialLayout ? "official folders" : "flat folder")} ({ds.Root})");
        console.WriteLine($"Images: {ds.Images.Count} (image/mask pairs; mask files found: {ds.MasksFound})");
        console.WriteLine($"Label source: {ds.LabelSource ?? "none"}");
        console.WriteLine($"Classes: {ds.Classes.Count}");
        var counts = ds.Images.GroupBy(i => i.ClassIndex).ToDictionary(g => g.Key, g => g.Count());
        for (var c = 0; c < ds.Classes.Count; c++)
        {
            console.WriteLine($"  {ds.Classes[c]}: {counts.GetValueOrDefault(c)}");
        }

        console.WriteLine("Splits: " + string.Join(", ", new[] { IsicSplit.Training, IsicSplit.Validation, IsicSplit.Test }
            .Select(s => $"{s.ToString().ToLowerInvariant()} {ds.Split(s).Count}")));
        return ds.Problems.Select(p => p.ToString()).ToList();
    }
}
