using Chorus.Evaluation;

namespace Chorus.Cli.Tests;

/// <summary>One study split over member ranges run by separate processes on one folder, then merged by evaluate.</summary>
[Collection("Cli")]
public class MemberRangeTests
{
    private static readonly string[] Study =
    [
        "--quick", "--members", "3", "--count", "160", "--epochs", "1", "--pretrain-epochs", "1",
        "--explain", "6", "--methods", "saliency,integrated-gradients", "--threads", "1",
    ];

    [Fact]
    public async Task ThreeRangesInThreeConcurrentProcesses_GiveTheMapsAndResultsOfOneProcess()
    {
        // Given: the study in one process
        var root = TestPaths.TempDir();
        var single = Path.Combine(root, "single");
        var (code, output) = await CliRunner.RunProcessAsync(["demo", .. Study, "--out", single]);
        Assert.True(code == 0, output);

        // When: the same study as three member ranges, three processes at once on one folder, then evaluate
        var split = Path.Combine(root, "split");
        var runs = new[] { "0", "1", "2" }.Select(r => CliRunner.RunProcessAsync(["demo", .. Study, "--members-range", r, "--out", split])).ToArray();
        var done = await Task.WhenAll(runs);
        Assert.All(done, d => Assert.True(d.Code == 0, d.Output));
        Assert.All(done, d => Assert.Contains("chorus evaluate --run", d.Output));
        foreach (var r in new[] { "0", "1", "2" })
        {
            // Each process's own manifest beside the shared one: its range and its member's accuracy.
            var task = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(split, "run", "tasks", $"members-{r}.json")))!;
            Assert.Equal(r, task["results"]!["members_range"]!.GetValue<string>());
            Assert.Single(task["results"]!["test_accuracy_per_member"]!.AsArray());
        }

        var (codeE, outputE) = await CliRunner.RunAsync("evaluate", "--run", split, "--metrics", "com_distance,pearson");
        var (codeS, outputS) = await CliRunner.RunAsync("evaluate", "--run", single, "--metrics", "com_distance,pearson");

        // Then: byte-identical maps and the same results.csv
        Assert.True(codeE == 0, outputE);
        Assert.True(codeS == 0, outputS);
        Assert.Equal(6, Chorus.Tests.StudyAssert.SameStudy(single, split));
    }

    [Fact]
    public async Task MergeBeforeEveryMemberIsThere_RefusesNamingTheMissingMember_AndAClaimedMemberIsAClearError()
    {
        // Given: members 0-1 of 3
        var run = Path.Combine(TestPaths.TempDir(), "partial");
        var (code, output) = await CliRunner.RunAsync(["demo", .. Study, "--members-range", "0-1", "--out", run]);
        Assert.True(code == 0, output);

        // When: evaluated now
        var (codeE, outputE) = await CliRunner.RunAsync("evaluate", "--run", run);

        // Then: refused, naming member 2's maps
        Assert.Equal(2, codeE);
        Assert.Contains("member-02.npy", outputE);

        // When: member 2 is claimed by another process while this one asks for it
        var lockPath = Path.Combine(run, "run", "locks", "member-02.lock");
        string outputL;
        int codeL;
        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            (codeL, outputL) = await CliRunner.RunProcessAsync(["demo", .. Study, "--members-range", "2", "--out", run]);
        }

        // Then: a one-line error naming the member and the lock, and nothing of member 2 written
        Assert.Equal(2, codeL);
        Assert.Contains("Member 2", outputL);
        Assert.Contains("member-02.lock", outputL);
        Assert.False(File.Exists(Path.Combine(run, "run", "members", "member-02.safetensors")));

        // And: a range past the last member is refused before any work
        var (codeR, outputR) = await CliRunner.RunAsync(["demo", .. Study, "--members-range", "2-3", "--out", run]);
        Assert.Equal(2, codeR);
        Assert.Contains("--members-range", outputR);
    }
}
