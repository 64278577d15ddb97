using Chorus.Cli.Rendering;
using Chorus.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus demo</c>: the whole study in miniature on SynthBirds (or SynthLesions with --dataset, or a folder with --data).</summary>
public sealed class DemoCommand(IAnsiConsole console) : Command<StudyCommandSettings>
{
    public override int Execute(CommandContext context, StudyCommandSettings settings, CancellationToken cancellationToken)
    {
        var study = settings.ToStudySettings();
        console.Write(new Rule("[bold]Chorus demo[/]: ensemble-averaged saliency vs the expected single model").LeftJustified());
        if (study.MemberRange is { } range)
        {
            new StudyRunner(new SpectreStudyReporter(console), study).RunMembers("demo", cancellationToken);
            console.MarkupLine($"Members {range} of {study.Training.Members} trained and explained in [blue]{Markup.Escape(Path.GetFullPath(study.Out))}[/]. When every member is there, [bold]chorus evaluate --run {Markup.Escape(study.Out)}[/] scores the ensemble and [bold]chorus report --run {Markup.Escape(study.Out)}[/] draws the report.");
            return 0;
        }

        var runner = new StudyRunner(new SpectreStudyReporter(console), study);
        var outcome = runner.Run("demo", cancellationToken);
        if (runner.Faithfulness is { } faithfulness)
        {
            EvaluateCommand.PrintFaithfulness(console, study.Methods, FaithfulnessRunner.DefaultOptions, faithfulness);
        }

        StudyTable.Write(console, outcome);
        console.MarkupLine($"Wrote results.csv, per_image.csv, manifest.json and figures/ to [blue]{Markup.Escape(Path.GetFullPath(study.Out))}[/].");
        return 0;
    }
}
