using System.Globalization;

namespace Chorus.Study.Cluster;

/// <summary>One job, or one element of a job array, as <c>scontrol show job -o</c> describes it.</summary>
/// <param name="JobId">Its own id.</param>
/// <param name="ArrayJobId">The array's id, or null for a plain job.</param>
/// <param name="ArrayTaskId">The element's index, or null (a plain job, or the array's still-pending elements, e.g. <c>1-2</c>, in <see cref="ArrayTasks"/>).</param>
/// <param name="ArrayTasks">The raw ArrayTaskId text (e.g. <c>3</c>, <c>0-2</c>, <c>1,4</c>), or null.</param>
/// <param name="State">JobState, e.g. PENDING, RUNNING, COMPLETED, FAILED, CANCELLED.</param>
/// <param name="Reason">Reason (why it waits or ended), e.g. Dependency, None.</param>
/// <param name="Restarts">How many times it was requeued.</param>
/// <param name="ExitCode">ExitCode, e.g. <c>0:0</c>.</param>
public sealed record SlurmJob(string JobId, string? ArrayJobId, int? ArrayTaskId, string? ArrayTasks, string State, string Reason, int Restarts, string ExitCode)
{
    /// <summary>States in which a job still waits or runs.</summary>
    public bool IsActive => State is "PENDING" or "RUNNING" or "REQUEUED" or "CONFIGURING" or "COMPLETING" or "SUSPENDED" or "RESIZING" or "REQUEUE_HOLD" or "REQUEUE_FED" or "SIGNALING" or "STAGE_OUT";

    /// <summary>Parses the one-line-per-job output of <c>scontrol show job -o</c>.</summary>
    public static IReadOnlyList<SlurmJob> ParseScontrol(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var jobs = new List<SlurmJob>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = token.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    fields.TryAdd(token[..eq], token[(eq + 1)..]);
                }
            }

            if (!fields.TryGetValue("JobId", out var id))
            {
                continue;
            }

            var tasks = fields.GetValueOrDefault("ArrayTaskId");
            jobs.Add(new SlurmJob(
                id,
                fields.GetValueOrDefault("ArrayJobId"),
                int.TryParse(tasks, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null,
                tasks,
                fields.GetValueOrDefault("JobState", "UNKNOWN"),
                fields.GetValueOrDefault("Reason", ""),
                int.TryParse(fields.GetValueOrDefault("Restarts"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0,
                fields.GetValueOrDefault("ExitCode", "")));
        }

        return jobs;
    }
}
