using Chorus.Cli.Rendering;
using Chorus.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus prepare</c>: the work every member needs, once, before member ranges run in parallel.</summary>
public sealed class PrepareCommand(IAnsiConsole console) : Command<StudyCommandSettings>
{
    public override int Execute(CommandContext context, StudyCommandSettings settings, CancellationToken cancellationToken)
    {
        var study = settings.ToStudySettings();
        if (study.MemberRange is not null)
        {
            throw new ArgumentException("--members-range: prepare makes what every member shares; give the range to `chorus demo` or `chorus train`.");
        }

        new StudyRunner(new SpectreStudyReporter(console), study).PrepareOnly("prepare", cancellationToken);
        console.MarkupLine($"Next: [bold]chorus demo --members-range A-B --out {Markup.Escape(study.Out)}[/] (same options) in as many processes or jobs as you like, then [bold]chorus evaluate --run {Markup.Escape(study.Out)}[/].");
        return 0;
    }
}
