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

    /// <summary>chorus in a process of its own (its own torch state, numerics checks and locks), as a cluster task runs it.</summary>
    public static async Task<(int Code, string Output)> RunProcessAsync(string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "chorus.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["COLUMNS"] = "200";
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
