using System.IO.Compression;
using System.Text;
using Chorus.Torch.Checkpoints;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Checkpoints;

// Seeds libtorch's global generator: runs alone so no parallel test draws from it in between.
[Collection("Sequential")]
public class PyTorchWeightsTests
{
    [Fact]
    public void PtCheckpoint_HandWrittenStateDict_ReadsTensorsAndLoadsIntoLinear()
    {
        // Given: what torch.save(nn.Linear(3, 2).state_dict(), f) writes (protocol 2), with the bias a view at offset 1.
        var path = Path.Combine(TestPaths.TempDir(), "linear.pt");
        var weight = new float[] { 1, 2, 3, 4, 5, 6 };
        var biasStorage = new float[] { 9, 7, 8 };
        var p = new PickleWriter().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("weight").Tensor("0", "FloatStorage", numel: 6, offset: 0, size: [2, 3], stride: [3, 1]).SetItem()
            .Str("bias").Tensor("1", "FloatStorage", numel: 3, offset: 1, size: [2], stride: [1]).SetItem()
            .EmptyDict().Str("_metadata").EmptyDict().SetItem().Build()
            .Stop();
        WriteZip(path, p.ToArray(), ("0", Bytes(weight)), ("1", Bytes(biasStorage)));

        // When
        var state = PyTorchWeights.Read(path);
        using var linear = nn.Linear(3, 2);
        var values = (state["weight"].data<float>().ToArray(), state["bias"].data<float>().ToArray());
        PyTorchWeights.LoadInto(linear, state);

        // Then
        Assert.Equal(weight, values.Item1);
        Assert.Equal(new float[] { 7, 8 }, values.Item2);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, linear.weight!.data<float>().ToArray());
        Assert.Equal(new float[] { 7, 8 }, linear.bias!.data<float>().ToArray());
    }

    [Fact]
    public void PtCheckpoint_GlobalOsSystem_IsRefusedNamingTheGlobal()
    {
        // Given: the classic payload, os.system("echo pwned") via GLOBAL + REDUCE.
        var path = Path.Combine(TestPaths.TempDir(), "evil.pt");
        var p = new PickleWriter().Proto(2).Global("os", "system").Str("echo pwned").Op(0x85).Reduce().Stop();
        WriteZip(path, p.ToArray());

        // When
        var e = Assert.Throws<InvalidDataException>(() => PyTorchWeights.Read(path));

        // Then
        Assert.Contains("refused pickle global 'os.system'", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void PtCheckpoint_StackGlobalBuiltinsEvalAndNewObj_AreRefused()
    {
        var path = Path.Combine(TestPaths.TempDir(), "eval.pt");
        WriteZip(path, new PickleWriter().Proto(4).Str("builtins").Str("eval").Op(0x93).Str("1+1").Op(0x85).Reduce().Stop().ToArray());
        Assert.Contains("'builtins.eval'", Assert.Throws<InvalidDataException>(() => PyTorchWeights.Read(path)).Message);

        var path2 = Path.Combine(TestPaths.TempDir(), "newobj.pt");
        WriteZip(path2, new PickleWriter().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Op(0x81).Stop().ToArray());
        Assert.Contains("opcode 0x81", Assert.Throws<InvalidDataException>(() => PyTorchWeights.Read(path2)).Message);
    }

    [Fact]
    public void PtCheckpoint_TensorPastItsStorage_IsRefused()
    {
        var path = Path.Combine(TestPaths.TempDir(), "oob.pt");
        var p = new PickleWriter().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("w").Tensor("0", "FloatStorage", numel: 2, offset: 1, size: [4], stride: [1]).SetItem().Stop();
        WriteZip(path, p.ToArray(), ("0", Bytes([1f, 2f])));
        Assert.Contains("past its storage", Assert.Throws<InvalidDataException>(() => PyTorchWeights.Read(path)).Message);
    }

    [Fact]
    public void SafeTensorsStateDict_LoadsIntoTorchVisionResNet18_SameFeatures()
    {
        // Given: a resnet18 state_dict with PyTorch names, saved as safetensors.
        var path = Path.Combine(TestPaths.TempDir(), "resnet18.safetensors");
        torch.manual_seed(11);
        using var source = TorchVisionBackbone.Create("resnet18");
        SafeTensors.Save(path, source.Module.state_dict());
        torch.manual_seed(12);
        using var target = TorchVisionBackbone.Create("resnet18");

        // When
        PyTorchWeights.LoadInto(target.Module, PyTorchWeights.Read(path), skipPrefixes: ["fc."]);

        // Then
        source.Module.eval();
        target.Module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(1, 3, 32, 32);
        Assert.True(source.Features(x, null, out _).allclose(target.Features(x, null, out _)));
    }

    [Fact]
    public void TrainedBackboneMember_SavedAndReloaded_GivesTheSameLogits()
    {
        // Given: a few AdamW steps on a resnet18 classifier (layer4 + head), saved like an ensemble member.
        var path = Path.Combine(TestPaths.TempDir(), "member.safetensors");
        torch.manual_seed(5);
        using var trained = new BackboneSpec("resnet18", TrainStages: 1).Create(3);
        using var scope = NewDisposeScope();
        var x = rand(4, 3, 32, 32);
        var y = tensor(new long[] { 0, 1, 2, 0 });
        using (var opt = optim.AdamW(trained.Module.parameters().Where(p => p.requires_grad), 1e-2))
        {
            trained.Module.train();
            for (var i = 0; i < 3; i++)
            {
                opt.zero_grad();
                nn.functional.cross_entropy(trained.Forward(x), y).backward();
                opt.step();
            }
        }

        ModuleCheckpoint.Save(trained.Module, path);
        torch.manual_seed(6);
        using var fresh = new BackboneSpec("resnet18", TrainStages: 1).Create(3);

        // When
        ModuleCheckpoint.Load(fresh.Module, path);

        // Then
        trained.Module.eval();
        fresh.Module.eval();
        using var noGrad = no_grad();
        Assert.True(trained.Forward(x).allclose(fresh.Forward(x), rtol: 0, atol: 0));
        Assert.Contains("backbone.layer1.0.conv1.weight", fresh.Module.state_dict().Keys);
    }

    private static byte[] Bytes(float[] values)
    {
        var b = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, b, 0, b.Length);
        return b;
    }

    private static void WriteZip(string path, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }

        Add("archive/data.pkl", pickle);
        Add("archive/byteorder", Encoding.ASCII.GetBytes("little"));
        foreach (var (key, data) in storages)
        {
            Add($"archive/data/{key}", data);
        }

        Add("archive/version", Encoding.ASCII.GetBytes("3\n"));
    }

    /// <summary>Writes pickle opcodes by hand, the way <c>torch.save</c> (pickle protocol 2) lays out a state_dict.</summary>
    private sealed class PickleWriter
    {
        private readonly MemoryStream _s = new();

        public PickleWriter Op(byte op)
        {
            _s.WriteByte(op);
            return this;
        }

        public PickleWriter Proto(byte version) => Op(0x80).Op(version);

        public PickleWriter Global(string module, string name)
        {
            Op((byte)'c');
            _s.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
            return this;
        }

        public PickleWriter Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            Op((byte)'X');
            _s.Write(BitConverter.GetBytes(b.Length));
            _s.Write(b);
            return this;
        }

        public PickleWriter Int(int v)
        {
            Op((byte)'J');
            _s.Write(BitConverter.GetBytes(v));
            return this;
        }

        public PickleWriter Mark() => Op((byte)'(');

        public PickleWriter Tuple() => Op((byte)'t');

        public PickleWriter EmptyTuple() => Op((byte)')');

        public PickleWriter EmptyDict() => Op((byte)'}');

        public PickleWriter Reduce() => Op((byte)'R');

        public PickleWriter Build() => Op((byte)'b');

        public PickleWriter SetItem() => Op((byte)'s');

        public PickleWriter Stop() => Op((byte)'.');

        /// <summary><c>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c> with a persistent-id storage.</summary>
        public PickleWriter Tensor(string key, string storageType, int numel, int offset, int[] size, int[] stride)
        {
            Global("torch._utils", "_rebuild_tensor_v2").Mark();
            Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Tuple().Op((byte)'Q');
            Int(offset);
            Mark();
            foreach (var s in size)
            {
                Int(s);
            }

            Tuple().Mark();
            foreach (var s in stride)
            {
                Int(s);
            }

            Tuple().Op(0x89).Global("collections", "OrderedDict").EmptyTuple().Reduce();
            return Tuple().Reduce();
        }

        public byte[] ToArray() => _s.ToArray();
    }
}
