using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus models</c>: the built-in backbones.</summary>
public sealed class ModelsCommand(IAnsiConsole console) : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellationToken)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("backbone", "what it is", "needs");
        table.AddRow("small-cnn", "3 conv blocks (16/32/64 channels) + global pool + linear head; the demo default. Grad-CAM layer: block3.", "nothing");
        console.Write(table);
        return 0;
    }
}
