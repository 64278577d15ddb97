using System.ComponentModel;
using Chorus.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>Options of <c>chorus report</c>.</summary>
public sealed class ReportSettings : RunFolderSettings
{
    [CommandOption("--images <N>")]
    [Description("Images per method in the galleries. Default 3.")]
    [DefaultValue(3)]
    public int Images { get; init; } = 3;

    public override ValidationResult Validate() =>
        Images < 0 ? ValidationResult.Error("--images must be 0 or more.") : base.Validate();
}

/// <summary><c>chorus report</c>: one self-contained report.html (plus figures/*.svg and the same plots as plots/*.png) from a run folder.</summary>
public sealed class ReportCommand(IAnsiConsole console) : Command<ReportSettings>
{
    public override int Execute(CommandContext context, ReportSettings settings, CancellationToken cancellationToken)
    {
        var run = RunFolder.Load(settings.Run, settings.Data, n => console.MarkupLine($"[yellow]note:[/] {Markup.Escape(n)}"));
        var path = RunOutputs.Report(run, settings.Images, settings.Orders);
        console.MarkupLine($"Wrote [blue]{Markup.Escape(Path.GetFullPath(path))}[/] and its plots under figures/ (SVG) and plots/ (PNG).");
        return 0;
    }
}
