using System.Diagnostics;

namespace Chorus.Study.Cluster;

/// <summary>What a scheduler command printed and returned.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Output">Its standard output.</param>
/// <param name="Error">Its standard error.</param>
public sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>Runs a scheduler's own commands (<c>sbatch</c>, <c>squeue</c>, <c>scontrol</c>); replaceable in tests.</summary>
public interface ICommandRunner
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> (no shell) and waits for it.</summary>
    /// <exception cref="ChorusException">The program is not installed.</exception>
    CommandResult Run(string file, IReadOnlyList<string> arguments);
}

/// <summary>Runs programs found on PATH, with the process's environment.</summary>
public sealed class ProcessCommandRunner : ICommandRunner
{
    /// <inheritdoc/>
    public CommandResult Run(string file, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ChorusException($"could not start {file}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ChorusException($"{file} is not installed or not on PATH ({e.Message}); run this on a Slurm login node, or install the Slurm client (Debian: slurm-client).");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return new CommandResult(process.ExitCode, output.Result, error.Result);
        }
    }
}

/// <summary>POSIX shell quoting for the scripts Chorus writes.</summary>
public static class Shell
{
    /// <summary><paramref name="word"/> as one shell word: left bare when it holds only safe characters, else single-quoted.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The words quoted and joined by spaces.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));
}
