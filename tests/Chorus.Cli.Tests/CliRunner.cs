using Spectre.Console.Testing;

namespace Chorus.Cli.Tests;

/// <summary>Runs the CLI in-process with a recording console.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(200);
        var code = await ChorusApp.RunAsync(args, console);
        return (code, console.Output);
    }
}
