using System.Globalization;
using System.Text;
using Chorus.Study.Cluster;

namespace Chorus.Cli.Kubernetes;

/// <summary>
/// Writes the Kubernetes manifest of a <see cref="KubernetesStudy"/>: two <c>batch/v1</c> Jobs in one YAML stream,
/// <c>NAME-members</c> (Indexed: pod i runs its member range) and <c>NAME-merge</c> (created suspended: evaluate, then
/// report, once it is resumed after the members Job completed). The YAML is written by hand: every value that is not a
/// number is a double-quoted scalar, the shell scripts are literal block scalars, and the words of the commands are
/// shell-quoted (<see cref="Shell"/>, as in the Slurm scripts).
/// </summary>
public static class KubernetesManifest
{
    /// <summary>Name of the container in both Jobs (the pod failure policy refers to it).</summary>
    public const string ContainerName = "chorus";

    /// <summary>The members Job's name.</summary>
    public static string MembersJob(KubernetesStudy study) => study.Name + "-members";

    /// <summary>The merge Job's name.</summary>
    public static string MergeJob(KubernetesStudy study) => study.Name + "-merge";

    /// <summary>The command pod <paramref name="index"/> runs, as arguments (the first is <c>chorus</c>).</summary>
    public static IReadOnlyList<string> MemberCommand(KubernetesStudy study, int index)
    {
        var (first, last) = study.Range(index);
        return [.. DemoPrefix(study), "--members-range", $"{first}-{last}", .. DemoSuffix(study)];
    }

    /// <summary>The commands the merge pod runs, in order.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> MergeCommands(KubernetesStudy study) =>
        [["chorus", "evaluate", "--run", study.Out], ["chorus", "report", "--run", study.Out]];

    /// <summary>
    /// The members pods' shell script: the member range from <c>JOB_COMPLETION_INDEX</c> (set by Kubernetes in Indexed
    /// Jobs), then <c>exec chorus demo …</c>. POSIX sh (dash in the image).
    /// </summary>
    public static string MemberScript(KubernetesStudy study)
    {
        var k = study.MembersPerTask.ToString(CultureInfo.InvariantCulture);
        var lastMember = (study.Members - 1).ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("set -eu\n");
        sb.Append(": \"${JOB_COMPLETION_INDEX:?is set by Kubernetes in the pods of an Indexed Job}\"\n");
        sb.Append(CultureInfo.InvariantCulture, $"# Pod i runs members i*{k} to i*{k}+{study.MembersPerTask - 1}, the last pod up to member {lastMember}.\n");
        sb.Append(CultureInfo.InvariantCulture, $"first=$((JOB_COMPLETION_INDEX * {k}))\n");
        sb.Append(CultureInfo.InvariantCulture, $"last=$((first + {k} - 1))\n");
        sb.Append(CultureInfo.InvariantCulture, $"if [ \"$last\" -gt {lastMember} ]; then last={lastMember}; fi\n");
        sb.Append(CultureInfo.InvariantCulture, $"echo \"chorus: pod $JOB_COMPLETION_INDEX of {study.Tasks} runs members $first-$last of 0-{lastMember}\"\n");
        sb.Append("exec ").Append(Shell.Join(DemoPrefix(study))).Append(" --members-range \"$first-$last\" ").Append(Shell.Join(DemoSuffix(study))).Append('\n');
        return sb.ToString();
    }

    /// <summary>The merge pod's shell script.</summary>
    public static string MergeScript(KubernetesStudy study)
    {
        var commands = MergeCommands(study);
        return "set -eu\n" + Shell.Join(commands[0]) + "\nexec " + Shell.Join(commands[1]) + "\n";
    }

    /// <summary>The whole manifest. <paramref name="commandLine"/> (how it was made) goes into the header comment.</summary>
    public static string Write(KubernetesStudy study, string version, string commandLine)
    {
        study.Validate();
        var y = new StringBuilder();
        var members = MembersJob(study);
        var merge = MergeJob(study);
        var volumeNote = study.EffectiveParallelism > 1 ? "ReadWriteMany (pods on several nodes write to it at once)" : "ReadWriteOnce is enough (one pod at a time)";
        Line(y, 0, $"# Chorus study on Kubernetes, written by chorus {version}:");
        Line(y, 0, $"#   {commandLine.ReplaceLineEndings(" ")}");
        Line(y, 0, "#");
        Line(y, 0, $"# Job {members} (Indexed): {study.Tasks} pods, {study.EffectiveParallelism} at a time; pod i (JOB_COMPLETION_INDEX) trains and");
        Line(y, 0, $"# explains members i*{study.MembersPerTask} .. i*{study.MembersPerTask}+{study.MembersPerTask - 1} (the last pod up to member {study.Members - 1}) of {study.Members} into {study.Out}:");
        for (var i = 0; i < study.Tasks; i++)
        {
            Line(y, 0, $"#   pod {i}: {Shell.Join(MemberCommand(study, i))}");
        }

        Line(y, 0, $"# Job {merge}: created suspended; once every member is there it runs");
        foreach (var command in MergeCommands(study))
        {
            Line(y, 0, $"#   {Shell.Join(command)}");
        }

        Line(y, 0, "#");
        Line(y, 0, $"# Needs: the image {study.Image} where the nodes can pull it (deploy/container/build.sh, then podman push),");
        Line(y, 0, $"# and the PersistentVolumeClaim {study.Pvc} in the Job's namespace, {volumeNote}, with working");
        Line(y, 0, "# file locks (NFSv4, CephFS; chorus locks each member while a pod works on it). Then:");
        Line(y, 0, "#   kubectl apply -f THIS_FILE");
        Line(y, 0, $"#   kubectl wait --for=condition=complete --timeout=-1s job/{members}");
        Line(y, 0, $"#   kubectl patch job/{merge} --type=merge -p '{{\"spec\":{{\"suspend\":false}}}}'");
        Line(y, 0, $"#   kubectl wait --for=condition=complete --timeout=-1s job/{merge}");
        Line(y, 0, $"# and report.html, results.csv and summary.json are in {study.Out} on the volume. A failed pod is retried");
        Line(y, 0, "# (chorus resumes the members it had finished) up to backoffLimit times in all, except for exit code 2, a user");
        Line(y, 0, "# error such as a bad option or unreadable data, which fails the Job at once; evictions do not count.");
        Line(y, 0, "# Written for batch/v1 (Kubernetes 1.26 or later: podFailurePolicy). Not run against a cluster by chorus's tests.");
        Line(y, 0, "---");
        WriteJob(y, study, members, "members", indexed: true, MemberScript(study));
        Line(y, 0, "---");
        WriteJob(y, study, merge, "merge", indexed: false, MergeScript(study));
        return y.ToString();
    }

    private static void WriteJob(StringBuilder y, KubernetesStudy study, string name, string component, bool indexed, string script)
    {
        Line(y, 0, "apiVersion: batch/v1");
        Line(y, 0, "kind: Job");
        Line(y, 0, "metadata:");
        Line(y, 1, $"name: {Quote(name)}");
        Labels(y, 1, study, component);
        Line(y, 0, "spec:");
        if (indexed)
        {
            Line(y, 1, "completionMode: Indexed");
            Line(y, 1, $"completions: {study.Tasks.ToString(CultureInfo.InvariantCulture)}");
            Line(y, 1, $"parallelism: {study.EffectiveParallelism.ToString(CultureInfo.InvariantCulture)}");
            Line(y, 1, $"backoffLimit: {study.Tasks.ToString(CultureInfo.InvariantCulture)}  # retries in all, about one per pod");
        }
        else
        {
            Line(y, 1, "suspend: true  # resume it once the members Job has completed (kubectl patch, see the top of the file)");
            Line(y, 1, "completions: 1");
            Line(y, 1, "parallelism: 1");
            Line(y, 1, "backoffLimit: 2");
        }

        Line(y, 1, "podFailurePolicy:");
        Line(y, 2, "rules:");
        Line(y, 3, "- action: FailJob  # exit 2: a user error (bad option, unreadable data); retrying cannot help");
        Line(y, 4, "onExitCodes:");
        Line(y, 5, $"containerName: {Quote(ContainerName)}");
        Line(y, 5, "operator: In");
        Line(y, 5, $"values: [{ChorusApp.UserErrorExitCode.ToString(CultureInfo.InvariantCulture)}]");
        Line(y, 3, "- action: Ignore  # evicted, preempted or drained: retried without counting against backoffLimit");
        Line(y, 4, "onPodConditions:");
        Line(y, 5, "- type: DisruptionTarget");
        Line(y, 1, "template:");
        Line(y, 2, "metadata:");
        Labels(y, 3, study, component);
        Line(y, 2, "spec:");
        Line(y, 3, "restartPolicy: Never  # required by podFailurePolicy; a failed pod is replaced by a new one");
        Line(y, 3, "securityContext:");
        Line(y, 4, "runAsNonRoot: true");
        Line(y, 4, $"runAsUser: {study.User.ToString(CultureInfo.InvariantCulture)}");
        Line(y, 4, $"runAsGroup: {study.User.ToString(CultureInfo.InvariantCulture)}");
        Line(y, 4, $"fsGroup: {study.User.ToString(CultureInfo.InvariantCulture)}  # the volume is writable by the pods");
        Line(y, 3, "containers:");
        Line(y, 4, $"- name: {Quote(ContainerName)}");
        Line(y, 5, $"image: {Quote(study.Image)}");
        Line(y, 5, "imagePullPolicy: IfNotPresent");
        Line(y, 5, "command: [\"/bin/sh\", \"-c\"]");
        Line(y, 5, "args:");
        Line(y, 6, "- |");
        foreach (var line in script.TrimEnd('\n').Split('\n'))
        {
            Line(y, 7, line);
        }

        Line(y, 5, "resources:");
        foreach (var kind in new[] { "requests", "limits" })
        {
            Line(y, 6, $"{kind}:");
            Line(y, 7, $"cpu: {Quote(study.Cpus.ToString(CultureInfo.InvariantCulture))}");
            Line(y, 7, $"memory: {Quote(study.Memory)}");
        }

        Line(y, 5, "securityContext:");
        Line(y, 6, "allowPrivilegeEscalation: false");
        Line(y, 5, "volumeMounts:");
        Line(y, 6, "- name: data");
        Line(y, 7, $"mountPath: {Quote(study.MountPath)}");
        Line(y, 3, "volumes:");
        Line(y, 4, "- name: data");
        Line(y, 5, "persistentVolumeClaim:");
        Line(y, 6, $"claimName: {Quote(study.Pvc)}");
    }

    private static void Labels(StringBuilder y, int depth, KubernetesStudy study, string component)
    {
        Line(y, depth, "labels:");
        Line(y, depth + 1, "app.kubernetes.io/name: \"chorus\"");
        Line(y, depth + 1, $"app.kubernetes.io/instance: {Quote(study.Name)}");
        Line(y, depth + 1, $"app.kubernetes.io/component: {Quote(component)}");
    }

    private static string[] DemoPrefix(KubernetesStudy study) =>
        ["chorus", "demo", .. study.StudyArgs, "--members", study.Members.ToString(CultureInfo.InvariantCulture)];

    private static string[] DemoSuffix(KubernetesStudy study) =>
        ["--out", study.Out, "--threads", study.Cpus.ToString(CultureInfo.InvariantCulture)];

    // Two spaces per level; the "- " of a sequence item counts as part of its level's indentation.
    private static void Line(StringBuilder y, int depth, string text) =>
        y.Append(' ', 2 * depth).Append(text).Append('\n');

    /// <summary>A YAML double-quoted scalar (control characters were refused by <see cref="KubernetesStudy.Validate"/>).</summary>
    internal static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
