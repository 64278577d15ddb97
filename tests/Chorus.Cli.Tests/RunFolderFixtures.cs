using System.Globalization;
using System.Text.Json.Nodes;
using Chorus.Data.Cub;
using Chorus.Data.Synthetic;
using Chorus.IO;

namespace Chorus.Cli.Tests;

/// <summary>Builds a synthetic run folder by hand: a tiny SynthBirds dataset, a manifest, explained.json and random maps (no training).</summary>
internal static class RunFolderFixtures
{
    public static readonly string[] Methods = ["saliency", "grad-cam"];

    public const int Members = 3;

    public const int Size = 32;

    /// <summary>A complete run folder; the first class is renamed to <paramref name="firstClassName"/>.</summary>
    public static string SyntheticRun(string firstClassName = "001.Cardinal")
    {
        var folder = TestPaths.TempDir("chorus-run");
        var data = Path.Combine(folder, "data");
        SynthBirds.Generate(data, new SynthBirdsOptions(Species: 2, ImageSize: Size, Count: 16, TestFraction: 0.5, Seed: 3));
        var classes = File.ReadAllLines(Path.Combine(data, "classes.txt"));
        classes[0] = "1 " + firstClassName;
        File.WriteAllLines(Path.Combine(data, "classes.txt"), classes);

        var test = CubDataset.Load(data).Split(CubSplit.Test);
        var ids = test.Take(5).Select(i => i.Id).ToArray();
        var manifest = new JsonObject
        {
            ["command"] = "demo",
            ["started_utc"] = "2026-01-01T00:00:00Z",
            ["seeds"] = new JsonObject { ["explain"] = 0, ["training"] = 0 },
            ["options"] = new JsonObject
            {
                ["study"] = new JsonObject
                {
                    ["Out"] = folder,
                    ["Data"] = null,
                    ["ImageSize"] = Size,
                    ["Training"] = new JsonObject { ["Members"] = Members },
                    ["Methods"] = new JsonArray([.. Methods.Select(m => (JsonNode)m)]),
                    ["ExplainCount"] = ids.Length,
                    ["Metrics"] = new JsonArray("com_distance", "pearson"),
                    ["Seed"] = 0,
                },
            },
            ["versions"] = new JsonObject { ["chorus"] = "test" },
            ["timings_s"] = new JsonObject { ["total"] = 1.0 },
            ["results"] = new JsonObject { ["test_accuracy_per_member"] = new JsonArray(0.9, 0.8, 0.85) },
        };
        File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString());
        Directory.CreateDirectory(Path.Combine(folder, "run"));
        File.WriteAllText(Path.Combine(folder, "run", "explained.json"), new JsonObject { ["image_ids"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]) }.ToJsonString());

        var rng = new Random(5);
        foreach (var method in Methods)
        {
            for (var m = 0; m < Members; m++)
            {
                var values = new float[ids.Length * Size * Size];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)rng.NextDouble();
                }

                var path = Path.Combine(folder, "run", "maps", method, string.Create(CultureInfo.InvariantCulture, $"member-{m:D2}.npy"));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                NpyArray.FromFloats(values, ids.Length, Size, Size).Save(path);
            }
        }

        return folder;
    }

    /// <summary>
    /// <see cref="SyntheticRun"/> plus member checkpoints (randomly initialised SmallCnn, seeded by member index) under
    /// run/members, as `chorus evaluate --faithfulness` needs them.
    /// </summary>
    public static string SyntheticRunWithMembers()
    {
        var folder = SyntheticRun();
        var runDir = Path.Combine(folder, "run");
        Directory.CreateDirectory(Path.Combine(runDir, "members"));
        for (var m = 0; m < Members; m++)
        {
            TorchSharp.torch.manual_seed(100 + m);
            using var model = new Chorus.Torch.Models.BackboneSpec().Create(numClasses: 2);
            Chorus.Torch.Checkpoints.ModuleCheckpoint.Save(model.Module, Chorus.Torch.Training.EnsembleTrainer.CheckpointPath(runDir, m));
        }

        return folder;
    }
}
