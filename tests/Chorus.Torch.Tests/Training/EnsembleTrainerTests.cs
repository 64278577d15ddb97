using Chorus.Torch.Checkpoints;
using Chorus.Torch.Models;
using Chorus.Torch.Training;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Training;

// Seeds libtorch's global generator: runs alone so no parallel test draws from it in between.
[Collection("Sequential")]
public class EnsembleTrainerTests
{
    /// <summary>Four classes: a bright square in one of the four quadrants, on noise (not flip-invariant).</summary>
    internal static ImageTensorSet QuadrantSet(int n, int size, int seed)
    {
        var rng = new Random(seed);
        var pixels = new float[n * 3 * size * size];
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = i % 4;
            var oy = labels[i] / 2 * (size / 2);
            var ox = labels[i] % 2 * (size / 2);
            for (var c = 0; c < 3; c++)
            {
                for (var y = 0; y < size; y++)
                {
                    for (var x = 0; x < size; x++)
                    {
                        var inside = y >= oy + 2 && y < oy + (size / 2) - 2 && x >= ox + 2 && x < ox + (size / 2) - 2;
                        pixels[(((i * 3) + c) * size * size) + (y * size) + x] = (float)((inside ? 0.8 : 0.2) + (0.1 * rng.NextDouble()));
                    }
                }
            }
        }

        return ImageTensorSet.FromArrays(pixels, labels, 3, size, size);
    }

    [Fact]
    public void Train_QuadrantTask_MembersLearnAndDiffer()
    {
        // Given
        var dir = TestPaths.TempDir();
        using var train = QuadrantSet(96, 16, 1);
        using var test = QuadrantSet(40, 16, 2);
        var trainer = new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), new TrainingOptions(Members: 2, Epochs: 6, BatchSize: 16, LearningRate: 1e-2, HorizontalFlip: false), "small-cnn");

        // When
        var results = trainer.Train(dir, train, test);

        // Then
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(r.TestAccuracy > 0.8, $"member {r.Index} test accuracy {r.TestAccuracy}"));
        Assert.True(File.Exists(Path.Combine(dir, "shared-init.safetensors")));
        using var a = EnsembleTrainer.LoadMember(() => new SmallCnn(4, widths: [4, 8, 8, 8]), dir, 0);
        using var b = EnsembleTrainer.LoadMember(() => new SmallCnn(4, widths: [4, 8, 8, 8]), dir, 1);
        using var scope = NewDisposeScope();
        var wa = ((SmallCnn)a).Head.weight!;
        var wb = ((SmallCnn)b).Head.weight!;
        Assert.False(wa.allclose(wb), "members must get different heads");
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Train_SameSeedTwice_SameWeights()
    {
        using var train = QuadrantSet(32, 16, 1);
        var options = new TrainingOptions(Members: 1, Epochs: 1, BatchSize: 8);
        var d1 = TestPaths.TempDir();
        var d2 = TestPaths.TempDir();
        new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), options, "small-cnn").Train(d1, train, null);
        new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), options, "small-cnn").Train(d2, train, null);
        Assert.Equal(File.ReadAllBytes(EnsembleTrainer.CheckpointPath(d1, 0)), File.ReadAllBytes(EnsembleTrainer.CheckpointPath(d2, 0)));
    }

    [Fact]
    public void Train_RerunSameFolder_SkipsTrainedMembers()
    {
        var dir = TestPaths.TempDir();
        using var train = QuadrantSet(32, 16, 1);
        var options = new TrainingOptions(Members: 2, Epochs: 1, BatchSize: 8);
        var first = new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), options, "small-cnn").Train(dir, train, null);
        var stamp = File.GetLastWriteTimeUtc(EnsembleTrainer.CheckpointPath(dir, 0));

        // An interrupted run: member 1's record is gone, so only member 1 is retrained.
        File.Delete(Path.ChangeExtension(EnsembleTrainer.CheckpointPath(dir, 1), ".json"));
        var second = new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), options, "small-cnn").Train(dir, train, null);

        Assert.False(first[0].Resumed);
        Assert.True(second[0].Resumed);
        Assert.False(second[1].Resumed);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(EnsembleTrainer.CheckpointPath(dir, 0)));
    }

    [Fact]
    public void Train_ChannelsLastOrNchw_SameModelToRounding_NchwCheckpoints_DistinctFingerprints()
    {
        // Given the same seed and data, trained in both memory layouts
        using var train = QuadrantSet(32, 16, 1);
        var nchw = new TrainingOptions(Members: 1, Epochs: 1, BatchSize: 8) { Layout = MemoryLayout.Contiguous };
        var nhwc = nchw with { Layout = MemoryLayout.ChannelsLast };
        var d1 = TestPaths.TempDir();
        var d2 = TestPaths.TempDir();
        new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), nchw, "small-cnn").Train(d1, train, null);
        new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), nhwc, "small-cnn").Train(d2, train, null);

        // Then the weights agree to float rounding and load as ordinary contiguous tensors
        using var a = new SmallCnn(4, widths: [4, 8, 8, 8]);
        using var b = new SmallCnn(4, widths: [4, 8, 8, 8]);
        ModuleCheckpoint.Load(a, EnsembleTrainer.CheckpointPath(d1, 0));
        ModuleCheckpoint.Load(b, EnsembleTrainer.CheckpointPath(d2, 0));
        var pb = b.state_dict();
        foreach (var (name, t) in a.state_dict())
        {
            Assert.True(pb[name].is_contiguous(), name);
            if (t.is_floating_point())
            {
                Assert.True(t.allclose(pb[name], rtol: 1e-3, atol: 1e-5), $"{name}: max |diff| {(t - pb[name]).abs().max().item<float>()}");
            }
            else
            {
                Assert.Equal(t.data<long>().ToArray(), pb[name].data<long>().ToArray());
            }
        }

        // And the layout is part of a channels-last run's fingerprint, absent from an NCHW one (as before the option existed)
        Assert.Contains("\"Layout\":\"channels-last\"", System.Text.Json.JsonSerializer.Serialize(nhwc), StringComparison.Ordinal);
        Assert.DoesNotContain("Layout", System.Text.Json.JsonSerializer.Serialize(nchw), StringComparison.Ordinal);
        var e = Assert.Throws<ChorusException>(() => new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), nhwc, "small-cnn").Train(d1, train, null));
        Assert.Contains("--layout nchw", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_FolderWithOtherSettings_ThrowsClearError()
    {
        var dir = TestPaths.TempDir();
        using var train = QuadrantSet(32, 16, 1);
        new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), new TrainingOptions(Members: 1, Epochs: 1), "small-cnn").Train(dir, train, null);
        var e = Assert.Throws<ChorusException>(() =>
            new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), new TrainingOptions(Members: 1, Epochs: 2), "small-cnn").Train(dir, train, null));
        Assert.Contains("other settings", e.Message);
    }

    [Fact]
    public void LoadMember_TruncatedCheckpoint_ThrowsNamingFile()
    {
        var dir = TestPaths.TempDir();
        using var train = QuadrantSet(16, 16, 1);
        new EnsembleTrainer(() => new SmallCnn(4, widths: [4, 8, 8, 8]), new TrainingOptions(Members: 1, Epochs: 1), "small-cnn").Train(dir, train, null);
        var path = EnsembleTrainer.CheckpointPath(dir, 0);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => EnsembleTrainer.LoadMember(() => new SmallCnn(4, widths: [4, 8, 8, 8]), dir, 0));
        Assert.Contains("member-00.safetensors", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Checkpoint_WrongArchitecture_ThrowsListingMismatch()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "m.safetensors");
        using (var small = new SmallCnn(4, widths: [4, 8, 8, 8]))
        {
            ModuleCheckpoint.Save(small, path);
        }

        using var other = new SmallCnn(5, widths: [4, 8, 8, 8]);
        var e = Assert.Throws<InvalidDataException>(() => ModuleCheckpoint.Load(other, path));
        Assert.Contains("head.weight", e.Message);
    }

    [Fact]
    public void SafeTensors_RoundTrip_KeepsPyTorchNamesAndValues()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "m.safetensors");
        using var a = new SmallCnn(3, widths: [4, 8, 8, 8]);
        ModuleCheckpoint.Save(a, path, new Dictionary<string, string> { ["note"] = "x" });
        var (tensors, meta) = SafeTensors.Load(path);
        Assert.Contains("features.block1.conv.weight", tensors.Keys);
        Assert.Contains("features.block3.bn.running_var", tensors.Keys);
        Assert.Contains("head.bias", tensors.Keys);
        Assert.Equal("x", meta["note"]);
        using var b = new SmallCnn(3, widths: [4, 8, 8, 8]);
        ModuleCheckpoint.Load(b, path);
        using var scope = NewDisposeScope();
        a.eval();
        b.eval();
        var x = rand(2, 3, 16, 16);
        Assert.True(a.Forward(x).allclose(b.Forward(x)));
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }
    }
}
