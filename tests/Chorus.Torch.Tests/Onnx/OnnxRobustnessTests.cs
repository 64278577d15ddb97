using Chorus.Torch.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Onnx;

/// <summary>Malformed, truncated and corrupted files end in <see cref="OnnxImportException"/>, never another failure.</summary>
[Collection("Sequential")]
public class OnnxRobustnessTests
{
    private static readonly string ModelPath = TestPaths.Golden("tinycnn", "model.onnx");

    [Fact]
    public void Load_TruncatedFiles_ThrowOnnxImportExceptionNamingTheFile()
    {
        var bytes = File.ReadAllBytes(ModelPath);
        var dir = TestPaths.TempDir("onnx-truncated");
        var cuts = Enumerable.Range(0, 150).Select(i => (int)((long)i * bytes.Length / 150)).Concat([1, 2, 3, bytes.Length - 1]).Distinct();
        foreach (var cut in cuts)
        {
            var path = Path.Combine(dir, $"cut{cut}.onnx");
            File.WriteAllBytes(path, bytes[..cut]);
            var ex = Assert.Throws<OnnxImportException>(() => OnnxModel.Load(path).Dispose());
            Assert.Contains(path, ex.Message);
        }
    }

    [Fact]
    public void Load_BitFlippedFiles_ThrowOnnxImportExceptionOrRun()
    {
        var bytes = File.ReadAllBytes(ModelPath);
        var dir = TestPaths.TempDir("onnx-flipped");
        var rng = new Random(1234);
        var (failed, loaded) = (0, 0);
        DisposeScopeManager.Statistics.Reset();
        for (var trial = 0; trial < 300; trial++)
        {
            var copy = (byte[])bytes.Clone();

            // Mostly the protobuf structure (the first and last kilobytes), sometimes anywhere.
            var position = trial % 3 == 0 ? rng.Next(copy.Length) : trial % 3 == 1 ? rng.Next(Math.Min(1024, copy.Length)) : copy.Length - 1 - rng.Next(Math.Min(1024, copy.Length));
            copy[position] ^= (byte)(1 << rng.Next(8));
            var path = Path.Combine(dir, $"flip{trial}.onnx");
            File.WriteAllBytes(path, copy);
            try
            {
                using var model = OnnxModel.Load(path);
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                model.Forward(zeros(2, 3, 32, 32));
                loaded++;
            }
            catch (OnnxImportException ex)
            {
                Assert.Contains(path, ex.Message);
                failed++;
            }
        }

        Console.WriteLine($"bit flips: {failed} rejected, {loaded} loaded and ran");
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);   // rejected files leave no weights behind
        Assert.True(failed > 0 && loaded > 0, $"{failed} failed, {loaded} loaded");
    }

    [Fact]
    public void Load_UnsupportedOperator_ListsOpTypeNodeAndOpset()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 3).Output("y").Node("Relu", ["x"], ["r"]).Node("Einsum", ["r"], ["y"], ("equation", "ij->ij"));
        var ex = Assert.Throws<OnnxImportException>(() => OnnxModel.Load(g.Save()));
        Assert.Contains("Einsum node 'Einsum1' (opset 13)", ex.Message);
    }

    [Fact]
    public void Load_NotOnnx_ThrowsOnnxImportException()
    {
        var path = Path.Combine(TestPaths.TempDir("onnx-garbage"), "garbage.onnx");
        File.WriteAllText(path, "this is not a protobuf file at all");
        var ex = Assert.Throws<OnnxImportException>(() => OnnxModel.Load(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => OnnxModel.Load(Path.Combine(TestPaths.TempDir(), "none.onnx")));
}
