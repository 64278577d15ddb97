using Chorus.Cli.Rendering;
using Chorus.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus train</c>: dataset (given or generated) and a resumable ensemble, without explaining.</summary>
public sealed class TrainCommand(IAnsiConsole console) : Command<StudyCommandSettings>
{
    public override int Execute(CommandContext context, StudyCommandSettings settings, CancellationToken cancellationToken)
    {
        var study = settings.ToStudySettings();
        var members = new StudyRunner(new SpectreStudyReporter(console), study).TrainOnly("train", cancellationToken);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("member", "seed", "train acc", "test acc", "seconds", "checkpoint");
        foreach (var m in members)
        {
            table.AddRow($"{m.Index}", $"{m.Seed}", $"{m.TrainAccuracy:P1}", $"{m.TestAccuracy:P1}", m.Resumed ? "(resumed)" : $"{m.Seconds:F1}", Markup.Escape(new RunLayout(study.Out).Checkpoint(m.Index)));
        }

        console.Write(table);
        return 0;
    }
}
