using Chorus.Cli.Pipeline;
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
        var outcome = new StudyRunner(console, study).Run("demo", cancellationToken);
        StudyTable.Write(console, outcome);
        console.MarkupLine($"Wrote results.csv, per_image.csv, manifest.json and figures/ to [blue]{Markup.Escape(Path.GetFullPath(study.Out))}[/].");
        return 0;
    }
}
