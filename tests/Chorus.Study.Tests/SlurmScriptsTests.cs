using System.Diagnostics;
using Chorus.Runs;
using Chorus.Study.Cluster;
using Chorus.Torch.Explaining;
using Chorus.Torch.Training;

namespace Chorus.Study.Tests;

/// <summary>The Slurm scripts and submissions, with the scheduler's commands replaced (the real cluster: Chorus.Slurm.Tests).</summary>
public class SlurmScriptsTests
{
    private static readonly string[] Methods = ["saliency", "integrated-gradients"];

    [Theory]
    [InlineData(11, 1, "0 1 2 3 4 5 6 7 8 9 10")]
    [InlineData(11, 4, "0-3 4-7 8-10")]
    [InlineData(3, 5, "0-2")]
    public void Ranges_CutTheMembersIntoConsecutiveTasks_TheLastShorter(int members, int perTask, string expected) =>
        Assert.Equal(expected, string.Join(' ', SlurmScripts.Ranges(members, perTask)));

    [Theory]
    [InlineData(new[] { 0, 1, 2, 5, 7, 8 }, "0-2,5,7-8")]
    [InlineData(new[] { 4 }, "4")]
    [InlineData(new[] { 1, 3 }, "1,3")]
    public void ArrayIndices_AreWrittenAsSbatchRanges(int[] indices, string expected) =>
        Assert.Equal(expected, SlurmCluster.Compress(indices));

    [Fact]
    public void MembersScript_PassesEveryWordThroughTheShellUnchanged()
    {
        // Given: options with spaces, quotes and a dollar sign, and "chorus" replaced by a program that prints its words
        var dir = TestPaths.TempDir();
        var run = Path.Combine(dir, "a run's folder");
        var study = new SlurmStudy(run, 5, Methods, "printf '%s\\n'", ["--data", "/data/my birds", "--classes", "1-5", "--note", "it's $HOME"]);
        var scripts = SlurmScripts.Write(Path.Combine(run, "slurm"), study, new SlurmOptions { MembersPerTask = 2 });

        // When: array task 2 runs it
        var (code, output) = Bash(scripts[SlurmScripts.Members], ("SLURM_ARRAY_TASK_ID", "2"));

        // Then: chorus demo gets the same words and member range 4 (of 0-1 2-3 4)
        Assert.Equal(0, code);
        var words = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        Assert.Equal(["demo", "--data", "/data/my birds", "--classes", "1-5", "--note", "it's $HOME", "--members-range", "4", "--out", run], words);
        Assert.Contains("chorus: members 4, attempt 1 of 3", output);
        foreach (var path in scripts.Values)
        {
            Assert.Equal(0, Bash("-n", path).Code);
        }
    }

    [Theory]
    [InlineData(70, "0", true, 75, "")]                  // a crash, RequeueExit=75 configured: exit 75
    [InlineData(70, "0", false, 70, "requeue 41_1")]     // a crash, no RequeueExit: the task requeues itself
    [InlineData(70, "2", true, 70, "")]                  // a crash on the last allowed attempt: left failed
    [InlineData(2, "0", true, 2, "")]                    // a user error: never retried
    [InlineData(0, "0", true, 0, "")]
    public void MembersScript_RetriesCrashes_NotUserErrors_WithinTheLimit(int chorusExit, string restarts, bool requeueExit, int expectedExit, string expectedRequeue)
    {
        // Given: a fake scontrol (its config, and a log of requeue calls) and a chorus that exits with chorusExit
        var dir = TestPaths.TempDir();
        var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        var log = Path.Combine(dir, "scontrol.log");
        WriteExecutable(Path.Combine(bin, "scontrol"), $"#!/bin/sh\nif [ \"$1\" = show ]; then {(requeueExit ? "echo 'RequeueExit             = 75'" : "echo 'RequeueExit             = (null)'")}; exit 0; fi\necho \"$@\" >> {log}\n");
        WriteExecutable(Path.Combine(bin, "sleep"), "#!/bin/sh\nexit 0\n");
        var study = new SlurmStudy(Path.Combine(dir, "run"), 2, Methods, $"sh -c 'exit {chorusExit}' sh", []);
        var scripts = SlurmScripts.Write(Path.Combine(dir, "run", "slurm"), study, new SlurmOptions { MaxRetries = 2 });

        // When: task 1 of array 41 runs it after `restarts` retries
        var (code, _) = Bash(scripts[SlurmScripts.Members], ("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_JOB_ID", "41"), ("SLURM_RESTART_COUNT", restarts), ("PATH", $"{bin}:{Environment.GetEnvironmentVariable("PATH")}"));

        // Then
        Assert.Equal(expectedExit, code);
        Assert.Equal(expectedRequeue, File.Exists(log) ? File.ReadAllText(log).Trim() : "");
    }

    [Fact]
    public void Scripts_CarryTheJobOptions_AndTheMergeScoresTheRunsOwnMetrics()
    {
        var dir = TestPaths.TempDir();
        var study = new SlurmStudy(Path.Combine(dir, "run"), 3, Methods, "/opt/chorus/chorus", ["--quick"], Faithfulness: true);
        var options = new SlurmOptions { Partition = "cpu", Time = "02:00:00", CpusPerTask = 4, Memory = "16G", SbatchArgs = ["--account=lab", "--qos=short"], MaxRetries = 1 };
        var scripts = SlurmScripts.Write(Path.Combine(dir, "run", "slurm"), study, options);

        foreach (var path in scripts.Values)
        {
            var text = File.ReadAllText(path);
            Assert.StartsWith("#!/bin/bash\n", text);
            foreach (var line in new[] { "#SBATCH --partition=cpu", "#SBATCH --time=02:00:00", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=16G", "#SBATCH --account=lab", "#SBATCH --qos=short" })
            {
                Assert.Contains(line + "\n", text);
            }
        }

        Assert.Contains("#SBATCH --requeue\n", File.ReadAllText(scripts[SlurmScripts.Members]));
        Assert.Contains("max_retries=1\n", File.ReadAllText(scripts[SlurmScripts.Members]));
        Assert.Contains($"/opt/chorus/chorus prepare --quick --out {study.Out}\n", File.ReadAllText(scripts[SlurmScripts.Prepare]));
        var merge = File.ReadAllText(scripts[SlurmScripts.Merge]);
        Assert.Contains($"/opt/chorus/chorus evaluate --run {study.Out} --metrics run --faithfulness\n", merge);
        Assert.Contains($"/opt/chorus/chorus report --run {study.Out}\n", merge);
        Assert.Contains("set -eu\n", merge);
    }

    [Fact]
    public void Submit_ANewRun_PreparesThenRunsEveryTask_ThenMergesAfterAnyEnd()
    {
        var dir = TestPaths.TempDir();
        var runner = new FakeSlurm();
        var study = new SlurmStudy(Path.Combine(dir, "run"), 3, Methods, "chorus", ["--quick"]);

        var result = new SlurmCluster(runner).Submit(study, new SlurmOptions());

        var slurm = Path.Combine(study.Out, "slurm");
        Assert.Equal(
            [
                $"--parsable {slurm}/prepare.sbatch",
                $"--parsable --array=0-2 --dependency=afterok:100 --kill-on-invalid-dep=yes {slurm}/members.sbatch",
                $"--parsable --dependency=afterany:101 --kill-on-invalid-dep=yes {slurm}/merge.sbatch",
            ],
            runner.Submitted);
        var recorded = Assert.Single(SlurmSubmission.Load(slurm));
        Assert.Equal(("100", "101", "102"), (recorded.PrepareJob, recorded.ArrayJob, recorded.MergeJob));
        Assert.Equal([0, 1, 2], recorded.ArrayIndices);
        Assert.Equal(["0", "1", "2"], recorded.Ranges);
        Assert.Equal(Methods, recorded.Methods);
        Assert.Equal(recorded.JobIds, result.Submission!.JobIds);
    }

    [Fact]
    public void Submit_Again_RunsOnlyTheRangesWithMissingMaps_AndRefusesWhileJobsRun()
    {
        // Given: a run prepared, members 0-1 and 4 explained, submitted before with two members per task
        var dir = TestPaths.TempDir();
        var study = new SlurmStudy(Path.Combine(dir, "run"), 5, Methods, "chorus", []);
        var layout = new RunLayout(study.Out);
        Touch(Path.Combine(layout.Run, "shared-init.safetensors"));
        foreach (var m in new[] { 0, 1, 4 })
        {
            Touch(layout.Checkpoint(m));
            foreach (var method in Methods)
            {
                Touch(layout.Maps(method, m));
            }
        }

        Touch(layout.Maps(Methods[0], 2));    // member 2: one method only
        var runner = new FakeSlurm();
        var cluster = new SlurmCluster(runner);
        var options = new SlurmOptions { MembersPerTask = 2 };
        cluster.Submit(study, options);

        // Then: no preparation, array tasks 1 (members 2-3) only, the merge after it
        Assert.Equal(
            [
                $"--parsable --array=1 {layout.Slurm}/members.sbatch",
                $"--parsable --dependency=afterany:100 --kill-on-invalid-dep=yes {layout.Slurm}/merge.sbatch",
            ],
            runner.Submitted);

        // When: submitted again while the array still runs
        runner.State = "RUNNING";
        var busy = Assert.Throws<ChorusException>(() => cluster.Submit(study, options));
        Assert.Contains("103 RUNNING", busy.Message);
        Assert.Contains("--force", busy.Message);

        // And: with another cut into tasks
        runner.State = "COMPLETED";
        var cut = Assert.Throws<ChorusException>(() => cluster.Submit(study, options with { MembersPerTask = 1 }));
        Assert.Contains("--members-per-task", cut.Message);

        // And: status reads each member and the jobs
        var status = cluster.Status(study.Out);
        Assert.Equal([true, true, false, false, true], status.Progress.Members.Select(m => m.Explained));
        Assert.Equal([2, 3], status.Progress.Unfinished);
        Assert.Equal("COMPLETED", status.TaskOf(3)!.State);
        Assert.Null(status.TaskOf(0));
    }

    [Fact]
    public void ParseScontrol_ReadsStateRestartsAndArrayTask()
    {
        const string output = "JobId=12 ArrayJobId=10 ArrayTaskId=2 JobName=chorus-members UserId=root(0) JobState=COMPLETED Reason=None Dependency=(null) Requeue=1 Restarts=1 BatchFlag=1 ExitCode=0:0\n"
            + "JobId=10 ArrayJobId=10 ArrayTaskId=3-4 JobName=chorus-members JobState=PENDING Reason=Resources Restarts=0 ExitCode=0:0\n";

        var jobs = SlurmJob.ParseScontrol(output);

        Assert.Equal(new SlurmJob("12", "10", 2, "2", "COMPLETED", "None", 1, "0:0"), jobs[0]);
        Assert.Equal(new SlurmJob("10", "10", null, "3-4", "PENDING", "Resources", 0, "0:0"), jobs[1]);
        Assert.False(jobs[0].IsActive);
        Assert.True(jobs[1].IsActive);
    }

    [Fact]
    public void Options_OutOfRange_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new SlurmOptions { CpusPerTask = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SlurmOptions { MembersPerTask = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SlurmOptions { MaxRetries = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new SlurmOptions { SbatchArgs = ["account=lab"] }.Validate());
    }

    private static void Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
    }

    private static void WriteExecutable(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static (int Code, string Output) Bash(string script, params (string Name, string Value)[] environment) => Bash([script], environment);

    private static (int Code, string Output) Bash(string flag, string script) => Bash([flag, script], []);

    private static (int Code, string Output) Bash(string[] args, (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("bash", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    // sbatch answers 100, 101, …; scontrol describes each job (array tasks included) in State.
    private sealed class FakeSlurm : ICommandRunner
    {
        private int _next = 100;
        private readonly List<string> _ids = [];

        public List<string> Submitted { get; } = [];

        public string State { get; set; } = "COMPLETED";

        public CommandResult Run(string file, IReadOnlyList<string> arguments)
        {
            switch (file)
            {
                case "sbatch":
                    Submitted.Add(string.Join(' ', arguments));
                    var id = (_next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    _ids.Add(id);
                    return new CommandResult(0, id + "\n", "");
                case "scontrol" when _ids.Contains(arguments[^1]):
                    var job = arguments[^1];
                    var lines = job == "100" && Submitted[0].Contains("--array=1", StringComparison.Ordinal)
                        ? $"JobId=103 ArrayJobId=100 ArrayTaskId=1 JobState={State} Reason=None Restarts=0 ExitCode=0:0\n"
                        : $"JobId={job} JobState={State} Reason=None Restarts=0 ExitCode=0:0\n";
                    return new CommandResult(0, lines, "");
                default:
                    return new CommandResult(1, "", "slurm_load_jobs error: Invalid job id specified");
            }
        }
    }
}
