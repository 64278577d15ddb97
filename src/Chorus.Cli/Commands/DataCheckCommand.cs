using System.ComponentModel;
using Chorus.Data.Cub;
using Chorus.Data.Isic;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus data check DIR --format cub|isic2018</c>: validates a dataset folder, prints a summary and the first
/// problems (file:line). Exit 0 without problems, 1 with problems; a missing folder is a user error (2).
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
        [Description("cub (CUB-200-2011 layout, also SynthBirds) or isic2018 (ISIC 2018 Task 1).")]
        [DefaultValue("cub")]
        public string Format { get; init; } = "cub";

        [CommandOption("--labels <CSV>")]
        [Description("isic2018 only: the labels CSV (default: the only *.csv at the root, if any).")]
        public string? Labels { get; init; }

        public override ValidationResult Validate() =>
            Format is "cub" or "isic2018"
                ? ValidationResult.Success()
                : ValidationResult.Error($"Unknown --format '{Format}': use cub or isic2018.");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var problems = settings.Format == "cub" ? CheckCub(settings.Dir) : CheckIsic(settings.Dir, settings.Labels);
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

    private List<string> CheckCub(string dir)
    {
        console.WriteLine($"Format: cub ({Path.GetFullPath(dir)})");
        CubDataset ds;
        try
        {
            ds = CubDataset.Load(dir);
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
            console.WriteLine($"  {c.Name}: {counts.GetValueOrDefault(c.Index)}");
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

    private List<string> CheckIsic(string dir, string? labels)
    {
        var ds = IsicDataset.Load(dir, new IsicLoadOptions(labels, Lenient: true));
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
