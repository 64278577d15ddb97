using System.Diagnostics;
using System.Text.Json.Nodes;
using Chorus.Evaluation;
using Chorus.IO;
using Chorus.Study.Cluster;

namespace Chorus.Slurm.Tests;

/// <summary>
/// A fact that needs a Slurm cluster: it runs where tests/slurm/cluster.sh can install and start one (root, or Slurm
/// already installed) and always under CI=true (where not starting is a failure); elsewhere it is skipped.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        var canRun = OperatingSystem.IsLinux() && (Environment.UserName == "root" || File.Exists("/usr/sbin/slurmctld"));
        if (!ci && !canRun)
        {
            Skip = "needs a one-node Slurm cluster (root to install Debian's slurmctld slurmd slurm-client munge); under CI=true this test runs and fails instead.";
        }
    }
}

/// <summary>The study through `chorus slurm submit` on a real one-node Slurm cluster.</summary>
[Collection("Slurm")]
public class SlurmStudyTests(SlurmClusterFixture cluster)
{
    private static readonly string[] Study =
    [
        "--quick", "--members", "3", "--count", "160", "--epochs", "1", "--pretrain-epochs", "1",
        "--explain", "6", "--methods", "saliency,integrated-gradients",
    ];

    private static string ChorusCommand => $"dotnet {Path.Combine(AppContext.BaseDirectory, "chorus.dll")}";

    [SlurmFact]
    public async Task ThreeMemberTasks_OneCrashingOnce_AreRetried_AndGiveTheResultsOfOneProcess()
    {
        Assert.True(cluster.Failure is null, cluster.Failure);

        // Given: the study in one process
        var root = TestPaths.TempDir();
        var single = Path.Combine(root, "single");
        var (code, output) = await RunAsync(["demo", .. Study, "--threads", "1", "--out", single]);
        Assert.True(code == 0, output);

        // When: submitted to Slurm, one member per array task, member 1's explanation crashing once
        var run = Path.Combine(root, "slurm");
        var clock = Stopwatch.StartNew();
        var (codeS, outputS) = await RunAsync(["slurm", "submit", .. Study, "--out", run, "--cpus-per-task", "1", "--chorus", ChorusCommand], ("CHORUS_TEST_FAULT", "explain:1"));
        Assert.True(codeS == 0, outputS);
        var submission = LastSubmission(run);
        Assert.Equal(["0", "1", "2"], submission["ranges"]!.AsArray().Select(n => n!.GetValue<string>()));
        var merge = WaitForJob(submission["merge_job"]!.GetValue<string>());
        var seconds = clock.Elapsed.TotalSeconds;

        // Then: the merge ran once every task had ended, the crashed task was run again, and nothing else was redone
        Assert.True(merge.State == "COMPLETED", $"merge {merge.State} {merge.ExitCode}\n{Logs(run)}");
        var array = submission["array_job"]!.GetValue<string>();
        var tasks = Jobs(array).Where(j => j.ArrayTaskId is not null).OrderBy(j => j.ArrayTaskId).ToList();
        Assert.Equal([0, 1, 2], tasks.Select(t => t.ArrayTaskId!.Value));
        Assert.All(tasks, t => Assert.Equal("COMPLETED", t.State));
        Assert.Equal([0, 1, 0], tasks.Select(t => t.Restarts));
        var crashed = Path.Combine(run, "run", "faults", "explain-member-01");
        Assert.True(File.Exists(crashed), Logs(run));
        Assert.True(File.GetLastWriteTimeUtc(Path.Combine(run, "run", "members", "member-01.safetensors")) <= File.GetLastWriteTimeUtc(crashed), "member 1 was trained again after the crash");
        var log = File.ReadAllText(Path.Combine(run, "slurm", "logs", $"members-{array}_1.out"));
        Assert.Contains("attempt 2 of 3", log);
        Assert.Contains("already trained", log);

        // And: the same maps byte for byte, and the same results.csv
        AssertSameStudy(single, run);

        // And: status shows every member done and the retry
        var (codeT, outputT) = await RunAsync(["slurm", "status", run]);
        Assert.True(codeT == 0, outputT);
        Assert.Contains("3 of 3 members explained", outputT);
        Assert.Contains("1 retry", outputT);
        Assert.Contains("results.csv, report.html", outputT);
        Console.Error.WriteLine($"[slurm] cluster up in {cluster.StartSeconds:F1} s; submit to merge of 3 member tasks (one retried) in {seconds:F1} s.");
    }

    [SlurmFact]
    public async Task ATaskCancelledWhileTraining_ThenSubmitAgain_RunsOnlyTheMissingMember_AndGivesTheSameResults()
    {
        Assert.True(cluster.Failure is null, cluster.Failure);
        string[] study = ["--quick", "--members", "2", "--count", "160", "--epochs", "40", "--pretrain-epochs", "1", "--explain", "6", "--methods", "saliency,integrated-gradients"];

        // Given: the study in one process
        var root = TestPaths.TempDir();
        var single = Path.Combine(root, "single");
        var (code, output) = await RunAsync(["demo", .. study, "--threads", "1", "--out", single]);
        Assert.True(code == 0, output);

        // When: submitted, and member 1's task cancelled while it trains (its lock held, no checkpoint yet)
        var run = Path.Combine(root, "slurm");
        var (codeS, outputS) = await RunAsync(["slurm", "submit", .. study, "--out", run, "--cpus-per-task", "1", "--chorus", ChorusCommand]);
        Assert.True(codeS == 0, outputS);
        var first = LastSubmission(run);
        var array = first["array_job"]!.GetValue<string>();
        var lockPath = Path.Combine(run, "run", "locks", "member-01.lock");
        var checkpoint = Path.Combine(run, "run", "members", "member-01.safetensors");
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!FileLock.IsHeld(lockPath) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(FileLock.IsHeld(lockPath), $"member 1 never started training\n{Logs(run)}");
        await Task.Delay(1000);
        Assert.False(File.Exists(checkpoint), "member 1 finished training before it could be cancelled; give it more epochs");
        var (codeC, outputC) = cluster.Client("scancel", $"{array}_1");
        Assert.True(codeC == 0, outputC);
        var merge = WaitForJob(first["merge_job"]!.GetValue<string>());

        // Then: the merge refused (member 1 missing), and the killed task left no checkpoint and no lock behind
        Assert.Equal("FAILED", merge.State);
        Assert.Contains("member-01", Logs(run));
        Assert.False(File.Exists(checkpoint));
        Assert.False(FileLock.IsHeld(lockPath));
        var (_, status) = await RunAsync(["slurm", "status", run]);
        Assert.Contains("CANCELLED", status);
        Assert.Contains("1 of 2 members explained", status);

        // When: submitted again with the same options
        var member0 = File.GetLastWriteTimeUtc(Path.Combine(run, "run", "members", "member-00.safetensors"));
        var (codeA, outputA) = await RunAsync(["slurm", "submit", .. study, "--out", run, "--cpus-per-task", "1", "--chorus", ChorusCommand]);
        Assert.True(codeA == 0, outputA);
        var second = LastSubmission(run);

        // Then: no preparation job, an array of task 1 only, and the same results as one process
        Assert.Null(second["prepare_job"]);
        Assert.Equal([1], second["array_indices"]!.AsArray().Select(n => n!.GetValue<int>()));
        var merge2 = WaitForJob(second["merge_job"]!.GetValue<string>());
        Assert.True(merge2.State == "COMPLETED", $"merge {merge2.State}\n{Logs(run)}");
        Assert.Equal(member0, File.GetLastWriteTimeUtc(Path.Combine(run, "run", "members", "member-00.safetensors")));
        AssertSameStudy(single, run);

        // And: a third submit has nothing left to do
        var (codeN, outputN) = await RunAsync(["slurm", "submit", .. study, "--out", run, "--cpus-per-task", "1", "--chorus", ChorusCommand]);
        Assert.True(codeN == 0, outputN);
        Assert.Contains("Nothing to submit", outputN);
    }

    private static void AssertSameStudy(string single, string run)
    {
        Chorus.Tests.StudyAssert.SameStudy(single, run);
        Assert.True(File.Exists(Path.Combine(run, "report.html")));
    }

    private static JsonNode LastSubmission(string run) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(run, "slurm", "submissions.json")))!.AsArray()[^1]!;

    private static string Logs(string run)
    {
        var dir = Path.Combine(run, "slurm", "logs");
        return Directory.Exists(dir)
            ? string.Join("\n", Directory.GetFiles(dir).Order().Select(f => $"== {Path.GetFileName(f)}\n{File.ReadAllText(f)}"))
            : "(no logs)";
    }

    private IReadOnlyList<SlurmJob> Jobs(string id)
    {
        var (code, output) = cluster.Client("scontrol", "show", "job", "-o", id);
        Assert.True(code == 0, output);
        return SlurmJob.ParseScontrol(output);
    }

    private SlurmJob WaitForJob(string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            var job = Jobs(id).Single();
            if (!job.IsActive || DateTime.UtcNow > deadline)
            {
                return job;
            }

            Thread.Sleep(500);
        }
    }

    // chorus in its own process, as a user would run it, against the test cluster.
    private async Task<(int Code, string Output)> RunAsync(string[] args, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "chorus.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["COLUMNS"] = "200";
        start.Environment["SLURM_CONF"] = cluster.SlurmConf;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
