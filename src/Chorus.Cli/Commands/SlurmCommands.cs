using System.ComponentModel;
using System.Globalization;
using Chorus.Study;
using Chorus.Torch.Training;
using Chorus.Study.Cluster;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>Options of <c>chorus slurm submit</c>: the study's own, plus how it is cut into jobs.</summary>
public sealed class SlurmSubmitSettings : StudyCommandSettings
{
    [CommandOption("--partition <NAME>")]
    [Description("Slurm partition of every job. Default: the cluster's default.")]
    public string? Partition { get; init; }

    [CommandOption("--time <LIMIT>")]
    [Description("Time limit of each job, in sbatch's format (e.g. 02:00:00, 1-00:00:00). Default: the partition's.")]
    public string? Time { get; init; }

    [CommandOption("--cpus-per-task <N>")]
    [Description("CPUs per job; each runs that many libtorch threads (SLURM_CPUS_PER_TASK, recorded per task in run/tasks/). Default 2.")]
    [DefaultValue(SlurmOptions.DefaultCpusPerTask)]
    public int CpusPerTask { get; init; } = SlurmOptions.DefaultCpusPerTask;

    [CommandOption("--mem <SIZE>")]
    [Description("Memory per job, in sbatch's format (e.g. 8G). Slurm enforces it; each task records it in its manifest. Default: the cluster's. The paper preset peaked at 11.5 GB in one process.")]
    public string? Mem { get; init; }

    [CommandOption("--members-per-task <K>")]
    [Description("Members trained and explained by each array task (the last task may get fewer). Default 1: one task per member.")]
    [DefaultValue(1)]
    public int MembersPerTask { get; init; } = 1;

    [CommandOption("--sbatch-arg <ARG>")]
    [Description("An extra sbatch option for every job, as one word, e.g. --sbatch-arg=--account=lab (repeatable).")]
    public string[] SbatchArgs { get; init; } = [];

    [CommandOption("--max-retries <N>")]
    [Description("Times a crashed array task is run again (exit code 75 where slurm.conf has RequeueExit=75, else scontrol requeue). User errors (exit code 2) are not retried. Default 2.")]
    [DefaultValue(SlurmOptions.DefaultMaxRetries)]
    public int MaxRetries { get; init; } = SlurmOptions.DefaultMaxRetries;

    [CommandOption("--chorus <COMMAND>")]
    [Description("How a compute node starts chorus, as shell words (e.g. '/opt/chorus/chorus' or 'apptainer exec chorus.sif chorus'). Default: this very chorus, by its absolute path.")]
    public string? Chorus { get; init; }

    [CommandOption("--keep-scripts")]
    [Description("Submit the scripts already in OUT/slurm/ as they are (e.g. after editing them) instead of writing them afresh.")]
    public bool KeepScripts { get; init; }

    [CommandOption("--dry-run")]
    [Description("Write the scripts and print the sbatch commands without submitting.")]
    public bool DryRun { get; init; }

    [CommandOption("--force")]
    [Description("Submit even while jobs of the last submission still wait or run.")]
    public bool Force { get; init; }

    public override ValidationResult Validate()
    {
        if (MembersRange is not null)
        {
            return ValidationResult.Error("--members-range: slurm submit gives each array task its range; use --members-per-task.");
        }

        try
        {
            ToSlurmOptions().Validate();
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(e.Message);
        }

        return base.Validate();
    }

    /// <summary>The job options.</summary>
    public SlurmOptions ToSlurmOptions() => new()
    {
        Partition = Partition,
        Time = Time,
        CpusPerTask = CpusPerTask,
        Memory = Mem,
        MembersPerTask = MembersPerTask,
        SbatchArgs = SbatchArgs,
        MaxRetries = MaxRetries,
    };
}

/// <summary>Options of <c>chorus slurm status</c>.</summary>
public sealed class SlurmStatusSettings : CommandSettings
{
    [CommandArgument(0, "<RUN>")]
    [Description("The run folder (the --out of `chorus slurm submit`).")]
    public string Run { get; init; } = "";
}

/// <summary><c>chorus slurm submit</c>: the study as a preparation job, a job array over member ranges and a merge job.</summary>
public sealed class SlurmSubmitCommand(IAnsiConsole console) : Command<SlurmSubmitSettings>
{
    public override int Execute(CommandContext context, SlurmSubmitSettings settings, CancellationToken cancellationToken)
    {
        var study = settings.ToStudySettings();
        var slurmStudy = new SlurmStudy(
            Path.GetFullPath(study.Out),
            study.Training.Members,
            study.Methods,
            settings.Chorus ?? ThisChorus(),
            StudyArguments.From(settings),
            study.Faithfulness);
        var options = settings.ToSlurmOptions();
        if (study.Training.Kind.TrainsTogether() && options.MembersPerTask < study.Training.Members)
        {
            // Snapshot and multi-head members come out of one training run: one array task holds them all.
            console.MarkupLine($"[yellow]--ensemble {study.Training.Kind.Name()}[/]: its members come out of one training run, so one array task trains and explains all {study.Training.Members} (--members-per-task {study.Training.Members}).");
            options = options with { MembersPerTask = study.Training.Members };
        }

        var result = new SlurmCluster().Submit(slurmStudy, options, settings.DryRun, settings.KeepScripts, settings.Force);
        var dir = new RunLayout(slurmStudy.Out).Slurm;
        if (result.Submission is not { } s)
        {
            console.MarkupLine($"Nothing to submit: every member of [blue]{Markup.Escape(slurmStudy.Out)}[/] is explained and the report is written.");
            return 0;
        }

        foreach (var command in result.Commands)
        {
            console.MarkupLine($"[grey]{(settings.DryRun ? "would run" : "ran")}:[/] {Markup.Escape(command)}");
        }

        var ranges = s.MemberRanges;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("job", "id", "what");
        table.AddRow("prepare", s.PrepareJob ?? "-", s.PrepareJob is null ? "already prepared" : "dataset, shared start");
        table.AddRow("members", s.ArrayJob ?? "-", s.ArrayJob is null ? "every member explained"
            : Markup.Escape($"{s.ArrayIndices.Count} of {ranges.Count} array tasks: members {string.Join(" ", s.ArrayIndices.Select(i => ranges[i].ToString()))}"));
        table.AddRow("merge", s.MergeJob ?? "-", "evaluate + report, after every array task ends");
        console.Write(table);
        console.MarkupLine(settings.DryRun
            ? $"Dry run: scripts written to [blue]{Markup.Escape(dir)}[/]; nothing submitted."
            : $"Scripts and logs in [blue]{Markup.Escape(dir)}[/]. Follow with [bold]chorus slurm status {Markup.Escape(slurmStudy.Out)}[/]; submit again to finish whatever failed.");
        return 0;
    }

    // This process's chorus, as a compute node of a shared filesystem would start it (the app host, or dotnet chorus.dll).
    internal static string ThisChorus()
    {
        var (file, prefix) = DoctorCommand.Self();
        return Shell.Join([file, .. prefix]);
    }
}

/// <summary><c>chorus slurm status RUN</c>: each member from the run folder, and the jobs from the scheduler.</summary>
public sealed class SlurmStatusCommand(IAnsiConsole console) : Command<SlurmStatusSettings>
{
    public override int Execute(CommandContext context, SlurmStatusSettings settings, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.Run))
        {
            throw new ArgumentException($"{settings.Run}: no such run folder.");
        }

        var status = new SlurmCluster().Status(settings.Run);
        var s = status.Submission!;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("member", "trained", "explained", "array task", "scheduler");
        var ranges = s.MemberRanges.ToList();
        foreach (var m in status.Progress.Members)
        {
            var index = ranges.FindIndex(r => r.Contains(m.Index));
            var job = status.TaskOf(m.Index);
            var scheduler = job is null
                ? (s.ArrayIndices.Contains(index) ? "[grey]unknown[/]" : "[grey]not submitted (was done)[/]")
                : Describe(job);
            table.AddRow(
                m.Index.ToString(CultureInfo.InvariantCulture),
                m.Trained ? "[green]yes[/]" : m.Busy ? "[yellow]working[/]" : "no",
                m.Explained ? "[green]yes[/]" : m.Busy && m.Trained ? "[yellow]working[/]" : "no",
                Markup.Escape($"{index} ({ranges[index]})"),
                scheduler);
        }

        console.Write(table);
        var jobs = new Table().Border(TableBorder.Rounded).AddColumns("job", "id", "scheduler", "run folder");
        jobs.AddRow("prepare", s.PrepareJob ?? "-", s.PrepareJob is null ? "-" : status.Job(s.PrepareJob) is { } p ? Describe(p) : "[grey]unknown[/]", status.Progress.Prepared ? "[green]prepared[/]" : "no");
        jobs.AddRow("merge", s.MergeJob ?? "-", s.MergeJob is null ? "-" : status.Job(s.MergeJob) is { } g ? Describe(g) : "[grey]unknown[/]",
            status.Progress.Reported ? "[green]results.csv, report.html[/]" : status.Progress.Evaluated ? "results.csv" : "no");
        console.Write(jobs);
        var done = status.Progress.Members.Count(m => m.Explained);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"{done} of {status.Progress.Members.Count} members explained; submitted {s.SubmittedUtc:u}."));
        if (status.SchedulerNote is { } note)
        {
            console.MarkupLine($"[grey]note: {Markup.Escape(note)}.[/]");
        }

        if (status.Progress.Unfinished.Count > 0 && !status.Jobs.Any(j => j.IsActive))
        {
            console.MarkupLine($"[yellow]Members {Markup.Escape(string.Join(", ", status.Progress.Unfinished))} are unfinished and no job of the last submission is waiting or running:[/] see {Markup.Escape(Path.Combine(new RunLayout(settings.Run).Slurm, "logs"))}, then [bold]chorus slurm submit[/] again with the same options.");
        }

        return 0;
    }

    private static string Describe(SlurmJob job)
    {
        var colour = job.State switch
        {
            "COMPLETED" => "green",
            "RUNNING" or "PENDING" or "REQUEUED" => "yellow",
            _ => "red",
        };
        var detail = new List<string> { $"job {job.JobId}" };
        if (job.Restarts > 0)
        {
            detail.Add($"{job.Restarts} retr{(job.Restarts == 1 ? "y" : "ies")}");
        }

        if (job.Reason is { Length: > 0 } r && r != "None")
        {
            detail.Add(r);
        }

        if (job.State is "FAILED" or "CANCELLED" or "TIMEOUT" or "OUT_OF_MEMORY" or "NODE_FAIL")
        {
            detail.Add($"exit {job.ExitCode}");
        }

        return $"[{colour}]{Markup.Escape(job.State)}[/] [grey]{Markup.Escape(string.Join(", ", detail))}[/]";
    }
}
