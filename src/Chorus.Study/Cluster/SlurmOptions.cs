namespace Chorus.Study.Cluster;

/// <summary>How a study is cut into Slurm jobs and what each job asks for.</summary>
public sealed record SlurmOptions
{
    /// <summary>Default <see cref="CpusPerTask"/>.</summary>
    public const int DefaultCpusPerTask = 2;

    /// <summary>Default <see cref="MaxRetries"/>.</summary>
    public const int DefaultMaxRetries = 2;

    /// <summary>
    /// The exit code of a task that asks to be run again. A cluster whose <c>slurm.conf</c> has <c>RequeueExit=75</c>
    /// requeues on it; elsewhere the task requeues itself with <c>scontrol requeue</c>.
    /// </summary>
    public const int RequeueExitCode = 75;

    /// <summary><c>--partition</c>; null: the cluster's default.</summary>
    public string? Partition { get; init; }

    /// <summary><c>--time</c> per job (e.g. <c>02:00:00</c>); null: the partition's default.</summary>
    public string? Time { get; init; }

    /// <summary><c>--cpus-per-task</c>; each task runs that many libtorch threads (<c>SLURM_CPUS_PER_TASK</c>).</summary>
    public int CpusPerTask { get; init; } = DefaultCpusPerTask;

    /// <summary><c>--mem</c> per job (e.g. <c>8G</c>); null: the cluster's default.</summary>
    public string? Memory { get; init; }

    /// <summary>Members per array task (the last task may get fewer).</summary>
    public int MembersPerTask { get; init; } = 1;

    /// <summary>Extra <c>#SBATCH</c> arguments for every job, e.g. <c>--account=lab</c>, <c>--qos=short</c>.</summary>
    public IReadOnlyList<string> SbatchArgs { get; init; } = [];

    /// <summary>How many times a crashed array task is run again before it is left failed.</summary>
    public int MaxRetries { get; init; } = DefaultMaxRetries;

    /// <summary>Throws on values Slurm would refuse.</summary>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public void Validate()
    {
        if (CpusPerTask < 1)
        {
            throw new ArgumentException("--cpus-per-task must be at least 1.");
        }

        if (MembersPerTask < 1)
        {
            throw new ArgumentException("--members-per-task must be at least 1.");
        }

        if (MaxRetries is < 0 or > 20)
        {
            throw new ArgumentException("--max-retries must be in 0..20.");
        }

        foreach (var a in SbatchArgs.Where(a => !a.StartsWith('-')))
        {
            throw new ArgumentException($"--sbatch-arg '{a}': expected an sbatch option such as --account=lab.");
        }
    }
}
