using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Chorus.Cli.Kubernetes;
using Chorus.IO;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus k8s manifest</c>: the Kubernetes Jobs of a study split by member ranges (see <see cref="KubernetesManifest"/>),
/// to stdout or to a file. Writes YAML only; it talks to no cluster.
/// </summary>
public sealed class K8sManifestCommand(IAnsiConsole console) : Command<K8sManifestCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--image <IMAGE>")]
        [Description("The chorus image the nodes pull (deploy/container/build.sh builds localhost/chorus:latest; push it to a registry the cluster reaches and name it here). Default localhost/chorus:latest.")]
        public string Image { get; init; } = "localhost/chorus:latest";

        [CommandOption("--name <NAME>")]
        [Description("Prefix of the Jobs' names, NAME-members and NAME-merge (a-z, 0-9, '-'; at most 40 characters). Default chorus.")]
        public string Name { get; init; } = "chorus";

        [CommandOption("--members <N>")]
        [Description("Ensemble size n, passed to every `chorus demo` as --members N. Default 11.")]
        public int Members { get; init; } = 11;

        [CommandOption("--members-per-task <K>")]
        [Description("Members per pod: pod i (JOB_COMPLETION_INDEX) runs --members-range i*K-(i*K+K-1), the last pod up to member n-1; the Job has ceil(n/K) completions. Default 1.")]
        public int MembersPerTask { get; init; } = 1;

        [CommandOption("--parallelism <P>")]
        [Description("Pods running at once. Default: all of them (the number of completions).")]
        public int? Parallelism { get; init; }

        [CommandOption("-o|--out <DIR>")]
        [Description("The run folder in the pods, inside --mount-path: `chorus demo --out DIR`, then `chorus evaluate --run DIR` and `chorus report --run DIR`. Default /data/run.")]
        public string Out { get; init; } = "/data/run";

        [CommandOption("--pvc <NAME>")]
        [Description("The PersistentVolumeClaim mounted at --mount-path in every pod (create it first; ReadWriteMany when pods may run on several nodes, on a filesystem with working locks such as NFSv4 or CephFS). Default chorus-data.")]
        public string Pvc { get; init; } = "chorus-data";

        [CommandOption("--mount-path <DIR>")]
        [Description("Where the claim is mounted. Default /data.")]
        public string MountPath { get; init; } = "/data";

        [CommandOption("--cpus <N>")]
        [Description("CPU cores per pod: the request and the limit, and `chorus demo --threads N`. Default 2.")]
        public int Cpus { get; init; } = 2;

        [CommandOption("--memory <QUANTITY>")]
        [Description("Memory per pod (request = limit), e.g. 8Gi. Default " + KubernetesStudy.DefaultMemory + " (the paper preset peaked at 11.5 GB in one process).")]
        public string Memory { get; init; } = KubernetesStudy.DefaultMemory;

        [CommandOption("--user <UID>")]
        [Description("Numeric user and group id the pods run as (runAsUser, runAsGroup, fsGroup); never root. Default 1000.")]
        public int User { get; init; } = 1000;

        [CommandOption("--file <PATH>")]
        [Description("Write the manifest to this file (atomically: a temporary file renamed over it) instead of stdout.")]
        public string? File { get; init; }

        /// <summary>The study as described by these settings and the study arguments after <c>--</c>.</summary>
        public KubernetesStudy ToStudy(IReadOnlyList<string> studyArgs) => new()
        {
            Image = Image,
            Name = Name,
            Members = Members,
            MembersPerTask = MembersPerTask,
            Parallelism = Parallelism,
            Out = Out,
            Pvc = Pvc,
            MountPath = MountPath,
            Cpus = Cpus,
            Memory = Memory,
            User = User,
            StudyArgs = studyArgs,
        };

        public override ValidationResult Validate()
        {
            try
            {
                ToStudy([]).Validate();
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }

            return File is { Length: 0 } ? ValidationResult.Error("--file needs a path.") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var study = settings.ToStudy([.. context.Remaining.Raw]);
        study.Validate();
        var first = KubernetesManifest.MemberCommand(study, 0);
        if (StudyArgumentsCheck.Check([.. first.Skip(2)]) is { } error)
        {
            throw new ChorusException($"the pods' command would fail: {KubernetesManifest.ShellJoin(first)}: {error}");
        }

        var yaml = KubernetesManifest.Write(study, Version(), CommandLine(settings, study));
        if (settings.File is { } file)
        {
            try
            {
                AtomicFile.WriteAllText(file, yaml);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ChorusException($"could not write the manifest to {file}: {e.Message}", e);
            }

            console.MarkupLine($"Wrote {Markup.Escape(file)}: Job {Markup.Escape(KubernetesManifest.MembersJob(study))} ({study.Tasks} pods of up to {study.MembersPerTask} members, {study.EffectiveParallelism} at a time) and the suspended Job {Markup.Escape(KubernetesManifest.MergeJob(study))}; the file's first lines say how to run them.");
        }
        else
        {
            // Raw, not through Spectre's renderer, which would wrap long lines.
            console.Profile.Out.Writer.Write(yaml);
            console.Profile.Out.Writer.Flush();
        }

        return 0;
    }

    private static string Version() =>
        typeof(ChorusApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The command that writes this manifest again, every setting spelled out.</summary>
    private static string CommandLine(Settings s, KubernetesStudy study)
    {
        var args = new List<string>
        {
            "chorus", "k8s", "manifest", "--name", s.Name, "--image", s.Image,
            "--members", Text(s.Members), "--members-per-task", Text(s.MembersPerTask),
        };
        if (s.Parallelism is { } p)
        {
            args.AddRange(["--parallelism", Text(p)]);
        }

        args.AddRange(["--out", s.Out, "--pvc", s.Pvc, "--mount-path", s.MountPath, "--cpus", Text(s.Cpus), "--memory", s.Memory, "--user", Text(s.User)]);
        if (study.StudyArgs.Count > 0)
        {
            args.Add("--");
            args.AddRange(study.StudyArgs);
        }

        return KubernetesManifest.ShellJoin(args);
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
