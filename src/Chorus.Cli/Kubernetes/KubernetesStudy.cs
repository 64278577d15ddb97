using System.Text.RegularExpressions;

namespace Chorus.Cli.Kubernetes;

/// <summary>
/// A study split over the pods of a Kubernetes Indexed Job: <see cref="Tasks"/> pods, pod <c>i</c> running
/// <c>chorus demo … --members-range A-B</c> for its share of the <see cref="Members"/> into one run folder on a shared volume.
/// </summary>
public sealed partial record KubernetesStudy
{
    /// <summary>Default memory per pod: the paper preset peaked at 11.5 GB RSS in one process on 2 cores.</summary>
    public const string DefaultMemory = "12Gi";

    /// <summary>Options that the manifest sets itself and so may not appear among <see cref="StudyArgs"/>.</summary>
    public static readonly IReadOnlyList<string> ReservedOptions = ["-o", "--out", "--members", "--members-range", "--threads"];

    /// <summary>Prefix of the Jobs' names: <c>NAME-members</c> and <c>NAME-merge</c>; a DNS-1123 label of at most 40 characters.</summary>
    public string Name { get; init; } = "chorus";

    /// <summary>The chorus image (deploy/container/build.sh), pushed where the cluster can pull it.</summary>
    public string Image { get; init; } = "localhost/chorus:latest";

    /// <summary>Ensemble size n (<c>demo --members</c>).</summary>
    public int Members { get; init; } = 11;

    /// <summary>Members per pod: pod i runs members i·K to min(i·K + K, n) − 1.</summary>
    public int MembersPerTask { get; init; } = 1;

    /// <summary>Pods running at once; null: all of them (<see cref="Tasks"/>).</summary>
    public int? Parallelism { get; init; }

    /// <summary>The run folder, inside <see cref="MountPath"/> (<c>demo --out</c>, <c>evaluate --run</c>).</summary>
    public string Out { get; init; } = "/data/run";

    /// <summary>The PersistentVolumeClaim holding the run folder (ReadWriteMany when pods may run on several nodes).</summary>
    public string Pvc { get; init; } = "chorus-data";

    /// <summary>Where the claim is mounted in every pod.</summary>
    public string MountPath { get; init; } = "/data";

    /// <summary>CPU cores per pod: the request, the limit and <c>--threads</c>.</summary>
    public int Cpus { get; init; } = 2;

    /// <summary>Memory per pod (request = limit), a Kubernetes quantity such as <c>12Gi</c>.</summary>
    public string Memory { get; init; } = DefaultMemory;

    /// <summary>Numeric user and group the pods run as (the image needs no particular user).</summary>
    public int User { get; init; } = 1000;

    /// <summary>The study's own options, passed to every <c>chorus demo</c> as they are (e.g. <c>--preset paper</c>).</summary>
    public IReadOnlyList<string> StudyArgs { get; init; } = [];

    /// <summary>Number of pods (completions) of the members Job: ⌈n / K⌉.</summary>
    public int Tasks => (Members + MembersPerTask - 1) / MembersPerTask;

    /// <summary>Pods running at once.</summary>
    public int EffectiveParallelism => Math.Min(Parallelism ?? Tasks, Tasks);

    /// <summary>The members (first and last, inclusive) of pod <paramref name="index"/>; the last pod's range may be shorter.</summary>
    public (int First, int Last) Range(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Tasks);
        var first = index * MembersPerTask;
        return (first, Math.Min(first + MembersPerTask, Members) - 1);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and the problem.</summary>
    public void Validate()
    {
        if (Name.Length is 0 or > 40 || !DnsLabel().IsMatch(Name))
        {
            throw new ArgumentException($"--name '{Name}': must be 1-40 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (a Kubernetes name; the Jobs are NAME-members and NAME-merge).");
        }

        if (Pvc.Length is 0 or > 253 || !DnsSubdomain().IsMatch(Pvc))
        {
            throw new ArgumentException($"--pvc '{Pvc}': not a Kubernetes object name (a-z, 0-9, '-' and '.', at most 253 characters).");
        }

        if (Image.Length == 0 || Image.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException($"--image '{Image}': an image reference has no spaces or control characters (e.g. registry.example.org/chorus:0.12.0).");
        }

        if (Members < 1)
        {
            throw new ArgumentException($"--members must be at least 1; got {Members}.");
        }

        if (MembersPerTask < 1)
        {
            throw new ArgumentException($"--members-per-task must be at least 1; got {MembersPerTask}.");
        }

        if (MembersPerTask > Members)
        {
            throw new ArgumentException($"--members-per-task {MembersPerTask} is more than --members {Members}.");
        }

        if (Parallelism is < 1)
        {
            throw new ArgumentException($"--parallelism must be at least 1; got {Parallelism}.");
        }

        if (Cpus < 1)
        {
            throw new ArgumentException($"--cpus must be at least 1; got {Cpus}.");
        }

        if (!MemoryQuantity().IsMatch(Memory))
        {
            throw new ArgumentException($"--memory '{Memory}': not a Kubernetes memory quantity (e.g. 12Gi, 8000Mi, 16G).");
        }

        if (User < 1)
        {
            throw new ArgumentException($"--user must be a numeric user id of at least 1 (the pods run as non-root); got {User}.");
        }

        if (!IsCleanAbsolutePath(MountPath) || MountPath == "/")
        {
            throw new ArgumentException($"--mount-path '{MountPath}': must be an absolute path other than / without '.', '..' or empty parts (e.g. /data).");
        }

        if (!IsCleanAbsolutePath(Out) || !Out.StartsWith(MountPath.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"--out '{Out}': the run folder must be a path inside --mount-path {MountPath} (e.g. {MountPath.TrimEnd('/')}/run), so that it is on the volume every pod shares.");
        }

        foreach (var value in new[] { Out, MountPath }.Concat(StudyArgs))
        {
            if (value.Any(char.IsControl))
            {
                throw new ArgumentException($"'{value.ReplaceLineEndings(" ")}': control characters (newlines, tabs) are not allowed in paths or study arguments.");
            }
        }

        foreach (var arg in StudyArgs)
        {
            var option = arg.Split('=', ':')[0];
            if (ReservedOptions.Contains(option, StringComparer.Ordinal))
            {
                throw new ArgumentException($"study argument '{arg}': {option} is set for each pod by `chorus k8s manifest` (from --out, --members, --cpus and the pod's index).");
            }
        }
    }

    private static bool IsCleanAbsolutePath(string path) =>
        path.StartsWith('/') && path.TrimEnd('/').Split('/').Skip(1).All(p => p.Length > 0 && p != "." && p != "..");

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")]
    private static partial Regex MemoryQuantity();
}
