using Chorus.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli;

/// <summary>The <c>chorus</c> command-line application.</summary>
public static class ChorusApp
{
    /// <summary>Exit code for a user error (bad option, missing or invalid input).</summary>
    public const int UserErrorExitCode = 2;

    /// <summary>Exit code for an unexpected internal failure.</summary>
    public const int InternalErrorExitCode = 70;

    /// <summary>Runs the CLI with <paramref name="args"/>, writing to <paramref name="console"/> (default: the terminal).</summary>
    public static Task<int> RunAsync(string[] args, IAnsiConsole? console = null)
    {
        // Freed tensor memory is reused instead of page-faulted in again on every pass (Torch.NativeAllocator).
        Torch.NativeAllocator.KeepFreedMemory();
        var app = Create(console);
        return app.RunAsync(args);
    }

    /// <summary>Builds the command tree.</summary>
    public static CommandApp Create(IAnsiConsole? console = null)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("chorus");
            config.UseAssemblyInformationalVersion();
            config.UseStrictParsing();
            if (console is not null)
            {
                config.ConfigureConsole(console);
            }

            config.SetExceptionHandler((ex, _) => HandleError(ex, console ?? AnsiConsole.Console));
            config.AddCommand<DemoCommand>("demo")
                .WithDescription("Run the whole study in miniature: synthetic birds (or --dataset synth-lesions, or --data DIR), an ensemble, five explainers, Ens-Avg vs Exp-Avg.")
                .WithExample("demo")
                .WithExample("demo", "--quick", "--out", "/tmp/chorus-demo")
                .WithExample("demo", "--dataset", "synth-lesions", "--out", "lesions-demo")
                .WithExample("demo", "--data", "ISIC2018", "--format", "isic2018", "--out", "isic-demo");
            config.AddBranch("synth", synth =>
            {
                synth.SetDescription("Generate synthetic datasets with exact evidence regions.");
                synth.AddCommand<SynthBirdsCommand>("birds")
                    .WithDescription("SynthBirds in the CUB-200-2011 layout, with exact part masks.")
                    .WithExample("synth", "birds", "--out", "synthbirds", "--species", "8", "--size", "64");
                synth.AddCommand<SynthLesionsCommand>("lesions")
                    .WithDescription("SynthLesions in the ISIC 2018 Task 1 layout: dermoscopy-like images, exact lesion masks, benign/malignant labels.")
                    .WithExample("synth", "lesions", "synthlesions", "--count", "1000", "--size", "64");
            });
            config.AddBranch("data", data =>
            {
                data.SetDescription("Inspect dataset folders.");
                data.AddCommand<DataCheckCommand>("check").WithDescription("Validate a dataset folder (cub, isic2018 or folder): summary, problems with file:line; exit 1 on problems.");
            });
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train an ensemble on a dataset folder (CUB-200-2011 or ISIC 2018 layout) or a generated one into a run folder (resumable): independent members, or a cheaper kind with --ensemble snapshot|multi-head|frozen-trunk.")
                .WithExample("train", "--data", "synthbirds", "--out", "runs/birds", "--members", "11")
                .WithExample("train", "--out", "runs/snapshot", "--ensemble", "snapshot");
            config.AddCommand<PrepareCommand>("prepare")
                .WithDescription("Prepare a run folder once for member ranges run in parallel: the dataset (generated when there is no --data), the members' shared start with its pre-training, and a frozen trunk's outputs. Takes the options of demo.")
                .WithExample("prepare", "--quick", "--out", "runs/birds");
            config.AddBranch("slurm", slurm =>
            {
                slurm.SetDescription("Run the study on a Slurm cluster: one preparation job, a job array over member ranges, one merge job, on a run folder every node sees.");
                slurm.AddCommand<SlurmSubmitCommand>("submit")
                    .WithDescription("Write the sbatch scripts into OUT/slurm/ and submit the jobs still needed (prepare, members array, merge); submitting again runs only what is missing. Takes the options of demo.")
                    .WithExample("slurm", "submit", "--preset", "paper", "--out", "/shared/runs/paper", "--partition", "cpu", "--time", "02:00:00", "--mem", "16G")
                    .WithExample("slurm", "submit", "--quick", "--out", "/shared/runs/quick", "--dry-run");
                slurm.AddCommand<SlurmStatusCommand>("status")
                    .WithDescription("Each member (trained? explained?) from the run folder, and the jobs' states from the scheduler (scontrol).")
                    .WithExample("slurm", "status", "/shared/runs/paper");
            });
            config.AddCommand<CompareCommand>("compare")
                .WithDescription("Run (or resume) the study, then set beside plain Ens-Avg: the aggregation rules (mean, median, trimmed-mean, crh, agg-var, and the ensemble's probability- and held-out-accuracy-weighted means), cheaper ensembles (snapshot, multi-head, frozen-trunk, each its own study in OUT/ensembles/KIND), one-model map sources at the same explanation cost (smoothgrad, noisegrad, fusiongrad, tta, mc-dropout), the expected single map and the controls (smoothing, σ fitted on training images; centre prior), with their training and explanation seconds: compare.csv, compare.svg and a compare section in report.html. Takes the options of demo.")
                .WithExample("compare", "--quick", "--out", "/tmp/chorus-compare")
                .WithExample("compare", "--dataset", "synth-lesions", "--out", "lesions-compare", "--sources", "noisegrad", "--ensembles", "multi-head");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Recompute results.csv, per_image.csv, curves.csv and summary.json from a finished run folder's maps.")
                .WithExample("evaluate", "--run", "chorus-demo", "--metrics", "com_distance,pearson,iou");
            config.AddCommand<ReportCommand>("report")
                .WithDescription("Write one self-contained report.html (tables, curves, distributions, galleries, settings) for a run folder.")
                .WithExample("report", "--run", "chorus-demo");
            config.AddCommand<ExplainCommand>("explain")
                .WithDescription("Explain an ONNX classifier with one attribution method (Captum-equivalent), .npy in and out.")
                .WithExample("explain", "--model", "model.onnx", "--input", "input.npy", "--target", "target.npy", "--method", "integrated-gradients", "--raw", "--out", "ig.npy");
            config.AddCommand<DoctorCommand>("doctor")
                .WithDescription("Check that this machine computes correct numbers: CPU, versions, the float32-vs-float64 numerics probes, the configuration they chose (exit 0), or none (exit 2).")
                .WithExample("doctor")
                .WithExample("doctor", "--compare", "--backbone", "resnet18-imagenet", "--size", "224")
                .WithExample("doctor", "--numerics", "onednn-off");
            config.AddCommand<ModelsCommand>("models")
                .WithDescription("List the built-in backbones and what each needs.");
            config.AddBranch("k8s", k8s =>
            {
                k8s.SetDescription("Run a study on Kubernetes (writes manifests only; chorus talks to no cluster).");
                k8s.AddCommand<K8sManifestCommand>("manifest")
                    .WithDescription("Write the Kubernetes Jobs of a study: an Indexed Job whose pod i runs `chorus demo --members-range` for its share of the members into --out on a shared volume (a relative --out is taken inside --mount-path), and a suspended merge Job (evaluate, report). To stdout or --file. Takes the options of demo. YAML only: chorus contacts no cluster, and these manifests were tested with a YAML parser and by running their pods' scripts in podman, never on Kubernetes.")
                    .WithExample("k8s", "manifest", "--preset", "paper", "--members-per-task", "3", "--image", "registry.example.org/chorus:0.12.0", "--out", "/data/paper", "--file", "study.yaml")
                    .WithExample("k8s", "manifest", "--quick", "--members", "5", "--cpus", "4", "--memory", "8Gi", "--pvc", "chorus-data", "--out", "/data/birds");
            });
        });
        return app;
    }

    private static int HandleError(Exception ex, IAnsiConsole console)
    {
        var (userError, message) = Describe(ex);
        console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        if (!userError)
        {
            console.MarkupLine("[grey]This looks like a bug in Chorus; set CHORUS_DEBUG=1 for the stack trace.[/]");
            if (Environment.GetEnvironmentVariable("CHORUS_DEBUG") == "1")
            {
                console.WriteLine(ex.ToString());
            }

            return InternalErrorExitCode;
        }

        return UserErrorExitCode;
    }

    private static (bool UserError, string Message) Describe(Exception ex)
    {
        if (ex is CommandAppException or CommandParseException or CommandRuntimeException or CommandConfigurationException)
        {
            return (true, OneLine(ex.Message));
        }

        if (ex is AggregateException { InnerExceptions.Count: 1 } agg)
        {
            return Describe(agg.InnerExceptions[0]);
        }

        if (ex is OperationCanceledException)
        {
            return (true, "cancelled; everything finished so far is kept, run the same command again to resume.");
        }

        var user = ex is ChorusException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            or ArgumentException or UnauthorizedAccessException or FormatException
            || ex.GetType().Name.EndsWith("ImportException", StringComparison.Ordinal)
            || ex.GetType().Name.EndsWith("DataException", StringComparison.Ordinal);
        return (user, OneLine(ex.Message));
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
