using System.Text.Json.Nodes;
using Chorus.Runs;

namespace Chorus.Core.Tests.Runs;

public class RunManifestTests
{
    [Fact]
    public void Save_OverAnEarlierRun_KeepsItsTimingsInEarlierRuns()
    {
        // Given a folder whose manifest says the first run trained for 120 s
        var dir = TestPaths.TempDir();
        var first = new RunManifest { Command = "demo", StartedUtc = "2026-11-26T10:00:00Z" };
        first.TimingsSeconds.Add(KeyValuePair.Create("train", 120.0));
        first.Save(dir);

        // When a second invocation (which resumed the members in 0.2 s) saves twice, as the study does after each stage
        var second = new RunManifest { Command = "demo", StartedUtc = "2026-11-26T11:00:00Z" };
        second.TimingsSeconds.Add(KeyValuePair.Create("train", 0.2));
        second.Save(dir);
        second.TimingsSeconds.Add(KeyValuePair.Create("explain", 50.0));
        second.Save(dir);

        // Then its own timings are its own, and the first run's are kept once
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
        Assert.Equal(0.2, json["timings_s"]!["train"]!.GetValue<double>());
        var earlier = json["earlier_runs"]!.AsArray();
        Assert.Single(earlier);
        Assert.Equal("2026-11-26T10:00:00Z", earlier[0]!["started_utc"]!.GetValue<string>());
        Assert.Equal(120.0, earlier[0]!["timings_s"]!["train"]!.GetValue<double>());

        // And a third invocation carries both, oldest first
        var third = new RunManifest { Command = "train", StartedUtc = "2026-11-26T12:00:00Z" };
        third.Save(dir);
        var runs = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!["earlier_runs"]!.AsArray();
        Assert.Equal(["2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z"], runs.Select(r => r!["started_utc"]!.GetValue<string>()));
        Assert.Equal(50.0, runs[1]!["timings_s"]!["explain"]!.GetValue<double>());
    }

    [Fact]
    public void Save_OverACorruptManifest_ReplacesIt()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "manifest.json"), "{ truncated");

        new RunManifest { Command = "demo" }.Save(dir);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
        Assert.Equal("demo", json["command"]!.GetValue<string>());
        Assert.Null(json["earlier_runs"]);
    }
}
