using System.Globalization;

namespace Chorus.Runs;

/// <summary>
/// What a batch scheduler told this process through its environment: Slurm's job, array task, CPUs and memory, or a
/// Kubernetes Indexed Job's completion index. Chorus takes its default thread count from it (a Slurm task sees every core
/// of its node but was given <c>SLURM_CPUS_PER_TASK</c> of them) and records it in each task's manifest.
/// </summary>
public sealed class SchedulerEnvironment
{
    private static readonly string[] Recorded =
    [
        "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT", "SLURM_CPUS_PER_TASK",
        "SLURM_MEM_PER_NODE", "SLURM_MEM_PER_CPU", "SLURMD_NODENAME", "SLURM_JOB_PARTITION", "JOB_COMPLETION_INDEX",
    ];

    private readonly Func<string, string?> _get;

    /// <param name="get">Reads one environment variable; default: the process's environment.</param>
    public SchedulerEnvironment(Func<string, string?>? get = null) => _get = get ?? Environment.GetEnvironmentVariable;

    /// <summary>The process's own environment.</summary>
    public static SchedulerEnvironment Current { get; } = new();

    /// <summary>Whether the process runs as a Slurm job.</summary>
    public bool IsSlurm => !string.IsNullOrEmpty(_get("SLURM_JOB_ID"));

    /// <summary>The CPUs Slurm gave the task (<c>SLURM_CPUS_PER_TASK</c>), or null outside Slurm or when it is not set.</summary>
    public int? CpusPerTask => int.TryParse(_get("SLURM_CPUS_PER_TASK"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    /// <summary>The default number of libtorch threads: the task's CPUs under Slurm, otherwise every core.</summary>
    public int DefaultThreads => CpusPerTask ?? Environment.ProcessorCount;

    /// <summary>
    /// The memory Slurm gave the job in MiB (<c>SLURM_MEM_PER_NODE</c>, or <c>SLURM_MEM_PER_CPU</c> × CPUs), or null when
    /// not set. Slurm enforces it; Chorus records it.
    /// </summary>
    public long? MemoryMb =>
        long.TryParse(_get("SLURM_MEM_PER_NODE"), NumberStyles.None, CultureInfo.InvariantCulture, out var node) && node > 0 ? node
        : long.TryParse(_get("SLURM_MEM_PER_CPU"), NumberStyles.None, CultureInfo.InvariantCulture, out var cpu) && cpu > 0 ? cpu * (CpusPerTask ?? 1)
        : null;

    /// <summary>The scheduler's variables that are set, for a manifest: lower-case names (<c>slurm_job_id</c>, …).</summary>
    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        foreach (var name in Recorded)
        {
            if (_get(name) is { Length: > 0 } value)
            {
                yield return KeyValuePair.Create(name.ToLowerInvariant(), value);
            }
        }

        if (MemoryMb is { } mb)
        {
            yield return KeyValuePair.Create("scheduler_memory_mb", mb.ToString(CultureInfo.InvariantCulture));
        }
    }
}
