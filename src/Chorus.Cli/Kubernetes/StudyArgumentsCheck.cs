using Chorus.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Kubernetes;

/// <summary>
/// Parses and validates a <c>chorus demo</c> command line the way <c>chorus demo</c> does (same settings, strict parsing,
/// the same validation) without running anything, so that a typo fails when the manifest is written, not in every pod.
/// </summary>
internal static class StudyArgumentsCheck
{
    /// <summary>Null when <c>chorus demo <paramref name="demoArgs"/></c> parses and validates; otherwise the error.</summary>
    public static string? Check(IReadOnlyList<string> demoArgs)
    {
        var app = new CommandApp<ParseOnly>();
        app.Configure(config =>
        {
            config.SetApplicationName("chorus demo");
            config.UseStrictParsing();
            config.PropagateExceptions();
            config.ConfigureConsole(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }));
        });
        try
        {
            app.Run([.. demoArgs]);
            return null;
        }
        catch (CommandAppException e)
        {
            return e.Message.ReplaceLineEndings(" ").Trim();
        }
    }

    /// <summary><c>demo</c>'s settings, nothing executed.</summary>
    private sealed class ParseOnly : Command<StudyCommandSettings>
    {
        public override int Execute(CommandContext context, StudyCommandSettings settings, CancellationToken cancellationToken) => 0;
    }
}
