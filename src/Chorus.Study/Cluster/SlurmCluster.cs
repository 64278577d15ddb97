using System.Globalization;
using Chorus.Runs;

namespace Chorus.Study.Cluster;

/// <summary>What <see cref="SlurmCluster.Submit"/> did.</summary>
/// <param name="Submission">The jobs submitted (also appended to <c>slurm/submissions.json</c>); null when nothing was left to do.</param>
/// <param name="Scripts">The scripts' paths by name.</param>
/// <param name="Commands">The sbatch command lines, in order (run, or only shown with a dry run).</param>
public sealed record SlurmSubmitResult(SlurmSubmission? Submission, IReadOnlyDictionary<string, string> Scripts, IReadOnlyList<string> Commands);

/// <summary>A study's jobs and members as the run folder and the scheduler see them.</summary>
/// <param name="Progress">Per member, from the run folder.</param>
/// <param name="Submission">The newest submission, or null.</param>
/// <param name="Jobs">The scheduler's view of that submission's jobs (empty when it no longer knows them).</param>
/// <param name="SchedulerNote">Why <paramref name="Jobs"/> is incomplete, or null.</param>
public sealed record SlurmStatus(StudyProgress Progress, SlurmSubmission? Submission, IReadOnlyList<SlurmJob> Jobs, string? SchedulerNote)
{
    /// <summary>The scheduler's view of the array task that has member <paramref name="member"/>, or null.</summary>
    public SlurmJob? TaskOf(int member)
    {
        if (Submission?.ArrayJob is not { } array)
        {
            return null;
        }

        var index = Submission.MemberRanges.ToList().FindIndex(r => r.Contains(member));
        return Jobs.FirstOrDefault(j => j.ArrayJobId == array && j.ArrayTaskId == index)
            ?? Jobs.FirstOrDefault(j => j.ArrayJobId == array && j.ArrayTaskId is null && j.IsActive && Submission.ArrayIndices.Contains(index));
    }

    /// <summary>The scheduler's view of plain job <paramref name="id"/>, or null.</summary>
    public SlurmJob? Job(string? id) => id is null ? null : Jobs.FirstOrDefault(j => j.JobId == id);
}

/// <summary>
/// Runs a study on a Slurm cluster with the cluster's own commands: one preparation job, one job array over member ranges,
/// one merge job. Every job is a resumable stage of <see cref="StudyStages"/> on one shared run folder, so submitting
/// again runs only what is missing. Chorus schedules nothing itself.
/// </summary>
public sealed class SlurmCluster(ICommandRunner? runner = null)
{
    private readonly ICommandRunner _runner = runner ?? new ProcessCommandRunner();

    /// <summary>
    /// Writes the scripts (unless <paramref name="keepScripts"/> and they are there) and submits the jobs still needed:
    /// preparation when the run has no shared start yet, the array indices whose members lack maps, and the merge, which
    /// runs after every array task has ended, however often tasks were retried (<c>afterany</c>), and refuses while members
    /// are missing.
    /// </summary>
    /// <exception cref="ChorusException">Jobs of an earlier submission still wait or run (unless <paramref name="force"/>), or sbatch failed.</exception>
    public SlurmSubmitResult Submit(SlurmStudy study, SlurmOptions options, bool dryRun = false, bool keepScripts = false, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var layout = new RunLayout(study.Out);
        var dir = layout.Slurm;
        var ranges = SlurmScripts.Ranges(study.Members, options.MembersPerTask);
        var previous = SlurmSubmission.Load(dir);
        if (!force && !dryRun && previous.Count > 0 && Active(previous[^1]) is { Count: > 0 } active)
        {
            throw new ChorusException($"{SlurmSubmission.FileIn(dir)}: jobs of the last submission still wait or run ({string.Join(", ", active.Select(j => $"{j.JobId} {j.State}"))}); wait for them (chorus slurm status {study.Out}), scancel them, or give --force.");
        }

        if (previous.Count > 0 && !previous[^1].Ranges.SequenceEqual(ranges.Select(r => r.ToString())))
        {
            throw new ChorusException($"{SlurmSubmission.FileIn(dir)}: the run was submitted with member ranges {string.Join(" ", previous[^1].Ranges)}; --members-per-task {options.MembersPerTask} would give {string.Join(" ", ranges)}. Give the same --members-per-task.");
        }

        var scripts = keepScripts && new[] { SlurmScripts.Prepare, SlurmScripts.Members, SlurmScripts.Merge }.All(n => File.Exists(Path.Combine(dir, n)))
            ? new[] { SlurmScripts.Prepare, SlurmScripts.Members, SlurmScripts.Merge }.ToDictionary(n => n, n => Path.Combine(dir, n))
            : SlurmScripts.Write(dir, study, options);

        var progress = StudyProgress.Read(layout, study.Members, study.Methods);
        var indices = Enumerable.Range(0, ranges.Count).Where(i => ranges[i].Members.Any(m => !progress.Members[m].Explained)).ToList();
        if (indices.Count == 0 && progress.Evaluated && progress.Reported)
        {
            return new SlurmSubmitResult(null, scripts, []);
        }

        var commands = new List<string>();
        var n = 0;
        string Sbatch(List<string> args)
        {
            commands.Add(Shell.Join(["sbatch", .. args]));
            n++;
            if (dryRun)
            {
                return $"<job {n}>";
            }

            var result = _runner.Run("sbatch", args);
            if (result.ExitCode != 0)
            {
                throw new ChorusException($"sbatch {string.Join(' ', args)} failed with exit code {result.ExitCode}: {result.Error.Trim()}{(n > 1 ? $" (jobs already submitted: {string.Join(", ", commands.Take(n - 1))}; scancel them or submit again)" : "")}");
            }

            return result.Output.Trim().Split(';')[0];
        }

        string? prepare = null;
        if (!progress.Prepared)
        {
            prepare = Sbatch(["--parsable", scripts[SlurmScripts.Prepare]]);
        }

        string? array = null;
        if (indices.Count > 0)
        {
            var args = new List<string> { "--parsable", $"--array={Compress(indices)}" };
            if (prepare is not null)
            {
                args.AddRange([$"--dependency=afterok:{prepare}", "--kill-on-invalid-dep=yes"]);
            }

            args.Add(scripts[SlurmScripts.Members]);
            array = Sbatch(args);
        }

        var mergeArgs = new List<string> { "--parsable" };
        if ((array is not null ? $"afterany:{array}" : prepare is not null ? $"afterok:{prepare}" : null) is { } dependency)
        {
            mergeArgs.AddRange([$"--dependency={dependency}", "--kill-on-invalid-dep=yes"]);
        }

        mergeArgs.Add(scripts[SlurmScripts.Merge]);
        var merge = Sbatch(mergeArgs);
        var submission = new SlurmSubmission(DateTime.UtcNow, [.. ranges.Select(r => r.ToString())], study.Members, study.Methods, prepare, array, indices, merge);
        if (!dryRun)
        {
            SlurmSubmission.Append(dir, submission);
        }

        return new SlurmSubmitResult(submission, scripts, commands);
    }

    /// <summary>The run folder's members and the scheduler's view of the newest submission's jobs.</summary>
    public SlurmStatus Status(string runFolder, int? members = null, IReadOnlyList<string>? methods = null)
    {
        var layout = new RunLayout(runFolder);
        var submissions = SlurmSubmission.Load(layout.Slurm);
        var last = submissions.Count > 0 ? submissions[^1] : null;
        var count = members ?? last?.Members ?? throw new ChorusException($"{SlurmSubmission.FileIn(layout.Slurm)}: no Slurm submission recorded for {runFolder}; submit with `chorus slurm submit --out {runFolder}`.");
        var progress = StudyProgress.Read(layout, count, methods ?? last?.Methods ?? []);
        if (last is null)
        {
            return new SlurmStatus(progress, null, [], "no submission recorded");
        }

        var (jobs, note) = Query(last);
        return new SlurmStatus(progress, last, jobs, note);
    }

    private List<SlurmJob> Active(SlurmSubmission submission) => [.. Query(submission).Jobs.Where(j => j.IsActive)];

    private (IReadOnlyList<SlurmJob> Jobs, string? Note) Query(SlurmSubmission submission)
    {
        var jobs = new List<SlurmJob>();
        var missing = new List<string>();
        foreach (var id in submission.JobIds)
        {
            var result = _runner.Run("scontrol", ["show", "job", "-o", id]);
            if (result.ExitCode != 0)
            {
                // Finished jobs are forgotten after the cluster's MinJobAge (without accounting, sacct cannot help).
                missing.Add(id);
                continue;
            }

            jobs.AddRange(SlurmJob.ParseScontrol(result.Output));
        }

        return (jobs, missing.Count > 0 ? $"the scheduler no longer knows job(s) {string.Join(", ", missing)} (finished and purged, or never submitted here)" : null);
    }

    /// <summary><c>0-2,5,7-8</c> from sorted indices.</summary>
    internal static string Compress(IReadOnlyList<int> indices)
    {
        var parts = new List<string>();
        for (var i = 0; i < indices.Count;)
        {
            var j = i;
            while (j + 1 < indices.Count && indices[j + 1] == indices[j] + 1)
            {
                j++;
            }

            parts.Add(i == j ? indices[i].ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{indices[i]}-{indices[j]}"));
            i = j + 1;
        }

        return string.Join(',', parts);
    }
}
