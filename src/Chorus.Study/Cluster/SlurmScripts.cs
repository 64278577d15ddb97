using System.Globalization;
using System.Text;
using Chorus.Runs;

namespace Chorus.Study.Cluster;

/// <summary>What the jobs run: the chorus command and the study's options.</summary>
/// <param name="Out">The run folder, absolute (on a filesystem every node sees).</param>
/// <param name="Members">Ensemble size.</param>
/// <param name="Methods">Attribution methods.</param>
/// <param name="Chorus">How a node starts chorus, as shell words, e.g. <c>/opt/chorus/chorus</c>, <c>dotnet /opt/chorus/chorus.dll</c> or <c>apptainer exec chorus.sif chorus</c>.</param>
/// <param name="StudyArgs">The study's options as given to <c>chorus demo</c>, without <c>--out</c> and <c>--members-range</c>.</param>
/// <param name="Faithfulness">Whether the merge also scores deletion/insertion faithfulness.</param>
public sealed record SlurmStudy(string Out, int Members, IReadOnlyList<string> Methods, string Chorus, IReadOnlyList<string> StudyArgs, bool Faithfulness = false);

/// <summary>
/// The three sbatch scripts of a study, written into <c>RUN/slurm/</c> and kept there for the user to read or edit:
/// <c>prepare.sbatch</c> (dataset and shared start), <c>members.sbatch</c> (a job array: task i trains and explains
/// member range i, retried on a crash) and <c>merge.sbatch</c> (evaluate, figures, report).
/// </summary>
public static class SlurmScripts
{
    /// <summary>The scripts' file names.</summary>
    public const string Prepare = "prepare.sbatch", Members = "members.sbatch", Merge = "merge.sbatch";

    /// <summary>The member ranges of the array: <paramref name="perTask"/> consecutive members each, the last one shorter.</summary>
    public static IReadOnlyList<MemberRange> Ranges(int members, int perTask)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perTask, 1);
        return [.. Enumerable.Range(0, (members + perTask - 1) / perTask).Select(i => new MemberRange(i * perTask, Math.Min(members, (i + 1) * perTask) - 1))];
    }

    /// <summary>Writes the three scripts into <paramref name="slurmDir"/> (atomically) and returns their paths by name.</summary>
    public static IReadOnlyDictionary<string, string> Write(string slurmDir, SlurmStudy study, SlurmOptions options)
    {
        Directory.CreateDirectory(Path.Combine(slurmDir, "logs"));
        var scripts = new Dictionary<string, string>
        {
            [Prepare] = PrepareScript(slurmDir, study, options),
            [Members] = MembersScript(slurmDir, study, options),
            [Merge] = MergeScript(slurmDir, study, options),
        };
        var paths = new Dictionary<string, string>();
        foreach (var (name, text) in scripts)
        {
            var path = Path.Combine(slurmDir, name);
            Chorus.IO.AtomicFile.WriteAllText(path, text);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            paths[name] = path;
        }

        return paths;
    }

    /// <summary><c>prepare.sbatch</c>: <c>chorus prepare</c>.</summary>
    public static string PrepareScript(string slurmDir, SlurmStudy study, SlurmOptions options)
    {
        var s = Header("chorus-prepare", Path.Combine(slurmDir, "logs", "prepare-%j.out"), options, requeue: false);
        s.AppendLine("# The dataset (generated when the study has no --data), the members' shared start and, for a frozen trunk, its outputs.");
        s.AppendLine("set -u");
        s.AppendLine(CultureInfo.InvariantCulture, $"exec {Command(study, "prepare")} --out {Shell.Quote(study.Out)}");
        return s.ToString();
    }

    /// <summary><c>members.sbatch</c>: array task i trains and explains member range i; a crash asks Slurm to run it again.</summary>
    public static string MembersScript(string slurmDir, SlurmStudy study, SlurmOptions options)
    {
        var ranges = Ranges(study.Members, options.MembersPerTask);
        var s = Header("chorus-members", Path.Combine(slurmDir, "logs", "members-%A_%a.out"), options, requeue: true);
        s.AppendLine("# Array task i trains and explains the members ranges[i] (0-based, inclusive); submit with --array=0-" + (ranges.Count - 1).ToString(CultureInfo.InvariantCulture) + ",");
        s.AppendLine("# or with the indices still missing (`chorus slurm submit` picks them). Work already on disk is reused, never redone.");
        s.AppendLine("# Exit codes: 0 done; 2 a user error (bad option, data, or a member locked by another task: not retried);");
        s.AppendLine(CultureInfo.InvariantCulture, $"# anything else is a crash, run again up to {options.MaxRetries} time(s): exit {SlurmOptions.RequeueExitCode} where slurm.conf has RequeueExit={SlurmOptions.RequeueExitCode}, else scontrol requeue.");
        s.AppendLine("set -u");
        s.AppendLine(CultureInfo.InvariantCulture, $"ranges=({string.Join(' ', ranges)})");
        s.AppendLine("range=${ranges[${SLURM_ARRAY_TASK_ID:?run me as a job array, e.g. sbatch --array=0-" + (ranges.Count - 1).ToString(CultureInfo.InvariantCulture) + "}]}");
        s.AppendLine(CultureInfo.InvariantCulture, $"max_retries={options.MaxRetries}");
        s.AppendLine("attempt=${SLURM_RESTART_COUNT:-0}");
        s.AppendLine("echo \"chorus: members $range, attempt $((attempt + 1)) of $((max_retries + 1)), on $(hostname) at $(date -u +%FT%TZ)\"");
        s.AppendLine(CultureInfo.InvariantCulture, $"{Command(study, "demo")} --members-range \"$range\" --out {Shell.Quote(study.Out)}");
        s.AppendLine("code=$?");
        s.AppendLine("[ \"$code\" -eq 0 ] && exit 0");
        s.AppendLine("if [ \"$code\" -ne 2 ] && [ \"$attempt\" -lt \"$max_retries\" ]; then");
        s.AppendLine("  echo \"chorus: members $range crashed (exit code $code); asking Slurm to run this task again\" >&2");
        s.AppendLine(CultureInfo.InvariantCulture, $"  if scontrol show config 2>/dev/null | grep -Eq '^RequeueExit *= *([0-9,]*,)?{SlurmOptions.RequeueExitCode}(,|$)'; then exit {SlurmOptions.RequeueExitCode}; fi");
        s.AppendLine("  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" && sleep 600");
        s.AppendLine("fi");
        s.AppendLine("exit \"$code\"");
        return s.ToString();
    }

    /// <summary><c>merge.sbatch</c>: <c>chorus evaluate</c> (it refuses, naming them, while members are missing), then <c>chorus report</c>.</summary>
    public static string MergeScript(string slurmDir, SlurmStudy study, SlurmOptions options)
    {
        var s = Header("chorus-merge", Path.Combine(slurmDir, "logs", "merge-%j.out"), options, requeue: false);
        s.AppendLine("# Ens-Avg vs Exp-Avg over every member's maps (results.csv, per_image.csv, summary.json, curves.csv), then report.html.");
        s.AppendLine("set -eu");
        s.AppendLine(CultureInfo.InvariantCulture, $"{study.Chorus} evaluate --run {Shell.Quote(study.Out)} --metrics run{(study.Faithfulness ? " --faithfulness" : "")}");
        s.AppendLine(CultureInfo.InvariantCulture, $"{study.Chorus} report --run {Shell.Quote(study.Out)}");
        return s.ToString();
    }

    private static string Command(SlurmStudy study, string verb) => $"{study.Chorus} {Shell.Join([verb, .. study.StudyArgs])}";

    private static StringBuilder Header(string name, string output, SlurmOptions options, bool requeue)
    {
        var s = new StringBuilder();
        s.AppendLine("#!/bin/bash");
        s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --job-name={name}");
        s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --output={output}");
        s.AppendLine("#SBATCH --open-mode=append");
        s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={options.CpusPerTask}");
        if (options.Memory is { } mem)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --mem={mem}");
        }

        if (options.Time is { } time)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --time={time}");
        }

        if (options.Partition is { } partition)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH --partition={partition}");
        }

        s.AppendLine(requeue ? "#SBATCH --requeue" : "#SBATCH --no-requeue");
        foreach (var a in options.SbatchArgs)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"#SBATCH {a}");
        }

        s.AppendLine("# Written by `chorus slurm submit`; kept so that it can be read, edited and submitted again (`chorus slurm submit --keep-scripts`).");
        return s;
    }
}
