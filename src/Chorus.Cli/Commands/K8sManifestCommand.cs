using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Chorus.Cli.Kubernetes;
using Chorus.IO;
using Chorus.Study.Cluster;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus k8s manifest</c>: the Kubernetes Jobs of a study split by member ranges (see <see cref="KubernetesManifest"/>),
/// to stdout or to a file. Writes YAML only; it talks to no cluster.
/// </summary>
public sealed class K8sManifestCommand(IAnsiConsole console) : Command<K8sManifestCommand.Settings>
{
    /// <summary>The study's own options (those of <c>demo</c>) and the Jobs' options.</summary>
    public sealed class Settings : StudyCommandSettings
    {
        [CommandOption("--image <IMAGE>")]
        [Description("The chorus image the nodes pull (deploy/container/build.sh builds localhost/chorus:latest; push it to a registry the cluster reaches and name it here). Default localhost/chorus:latest.")]
        public string Image { get; init; } = "localhost/chorus:latest";

        [CommandOption("--name <NAME>")]
        [Description("Prefix of the Jobs' names, NAME-members and NAME-merge (a-z, 0-9, '-'; at most 40 characters). Default chorus.")]
        public string Name { get; init; } = "chorus";

        [CommandOption("--members-per-task <K>")]
        [Description("Members per pod: pod i (JOB_COMPLETION_INDEX) runs --members-range i*K-(i*K+K-1), the last pod up to member n-1; the Job has ceil(n/K) completions. Default 1.")]
        public int MembersPerTask { get; init; } = 1;

        [CommandOption("--parallelism <P>")]
        [Description("Pods running at once. Default: all of them (the number of completions).")]
        public int? Parallelism { get; init; }

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

        /// <summary>
        /// The Kubernetes study these settings describe: the ensemble size as <c>demo</c> resolves it (presets included),
        /// <c>--out</c> inside <c>--mount-path</c> (a relative folder is taken inside it), the study's other options as
        /// <c>demo</c> words (<see cref="StudyArguments"/>).
        /// </summary>
        public KubernetesStudy ToKubernetesStudy() => new()
        {
            Image = Image,
            Name = Name,
            Members = ToStudySettings().Training.Members,
            MembersPerTask = MembersPerTask,
            Parallelism = Parallelism,
            Out = Out.StartsWith('/') ? Out : MountPath.TrimEnd('/') + "/" + Out,
            Pvc = Pvc,
            MountPath = MountPath,
            Cpus = Cpus,
            Memory = Memory,
            User = User,
            StudyArgs = WithoutOption(StudyArguments.From(this), "--members"),
        };

        public override ValidationResult Validate()
        {
            if (MembersRange is not null)
            {
                return ValidationResult.Error("--members-range: each pod gets its range from its index; use --members-per-task.");
            }

            if (Threads is not null)
            {
                return ValidationResult.Error("--threads: each pod runs chorus demo with --threads equal to --cpus; give --cpus.");
            }

            if (File is { Length: 0 })
            {
                return ValidationResult.Error("--file needs a path.");
            }

            var study = base.Validate();
            if (!study.Successful)
            {
                return study;
            }

            try
            {
                ToKubernetesStudy().Validate();
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }

            return ValidationResult.Success();
        }

        private static string[] WithoutOption(IReadOnlyList<string> words, string option)
        {
            var kept = new List<string>();
            for (var i = 0; i < words.Count; i++)
            {
                if (words[i] == option)
                {
                    i++;
                    continue;
                }

                kept.Add(words[i]);
            }

            return [.. kept];
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (context.Remaining.Raw.Count > 0)
        {
            throw new ChorusException($"unexpected arguments: {Shell.Join(context.Remaining.Raw)}; the study's options (those of chorus demo) go with the others, e.g. chorus k8s manifest --preset paper --out /data/run.");
        }

        var study = settings.ToKubernetesStudy();
        study.Validate();
        var first = KubernetesManifest.MemberCommand(study, 0);
        if (StudyArgumentsCheck.Check([.. first.Skip(2)]) is { } error)
        {
            throw new ChorusException($"the pods' command would fail: {Shell.Join(first)}: {error}");
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
            "--members", Text(study.Members), "--members-per-task", Text(s.MembersPerTask),
        };
        if (s.Parallelism is { } p)
        {
            args.AddRange(["--parallelism", Text(p)]);
        }

        args.AddRange(["--out", study.Out, "--pvc", s.Pvc, "--mount-path", s.MountPath, "--cpus", Text(s.Cpus), "--memory", s.Memory, "--user", Text(s.User)]);
        args.AddRange(study.StudyArgs);
        return Shell.Join(args);
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
