using Chorus.Torch.Models;
using Google.Protobuf;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.TestModels;

/// <summary>
/// A hand-built TorchSharp replica of tests/data/golden/tinycnn/model.onnx (conv3×3(3→8) → ReLU → maxpool 2 →
/// conv3×3(8→16) → ReLU → spatial mean → linear(16→5)), its weights read from the file's initializers. Test-only:
/// it lets the attribution tests compare with the Captum golden vectors before the real ONNX importer merges.
/// Layer names are the ONNX tensor names.
/// </summary>
internal sealed class GoldenTinyCnn : nn.Module<Tensor, Tensor>, IClassifier
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc;

    public GoldenTinyCnn(string onnxPath)
        : base(nameof(GoldenTinyCnn))
    {
        conv1 = nn.Conv2d(3, 8, 3, padding: 1);
        conv2 = nn.Conv2d(8, 16, 3, padding: 1);
        fc = nn.Linear(16, 5);
        RegisterComponents();
        var init = OnnxInitializers.Read(onnxPath);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            var (dims, data) = init[name];
            using var src = torch.tensor(data, dims);
            p.copy_(src);
        }

        eval();
    }

    public nn.Module Module => this;

    public int NumClasses => 5;

    public IReadOnlyList<string> LayerNames { get; } =
        ["/conv1/Conv_output_0", "/Relu_output_0", "/pool/MaxPool_output_0", "/conv2/Conv_output_0", "/relu2/Relu_output_0"];

    public string DefaultCamLayer => "/relu2/Relu_output_0";

    public Tensor Forward(Tensor input) => forward(input);

    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        var index = LayerNames.ToList().IndexOf(layer);
        if (index < 0)
        {
            throw new ArgumentException($"Unknown layer '{layer}'.", nameof(layer));
        }

        var c1 = conv1.call(input);
        var r1 = c1.relu();
        var p1 = nn.functional.max_pool2d(r1, 2, 2);
        var c2 = conv2.call(p1);
        var r2 = c2.relu();
        activation = new[] { c1, r1, p1, c2, r2 }[index];
        return fc.call(r2.mean([2, 3]));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Forward(input, DefaultCamLayer, out _).MoveToOuterDisposeScope();
    }
}

/// <summary>Reads the float32 initializers of an ONNX file with protobuf's wire-format reader (no generated classes).</summary>
internal static class OnnxInitializers
{
    public static Dictionary<string, (long[] Dims, float[] Data)> Read(string path)
    {
        var result = new Dictionary<string, (long[], float[])>();
        foreach (var (field, graph) in Messages(File.ReadAllBytes(path)))
        {
            if (field != 7)
            {
                continue; // ModelProto.graph
            }

            foreach (var (gf, tensor) in Messages(graph))
            {
                if (gf == 5)
                {
                    var (name, dims, data) = Tensor(tensor); // GraphProto.initializer
                    result[name] = (dims, data);
                }
            }
        }

        return result;
    }

    private static List<(int Field, byte[] Bytes)> Messages(byte[] buffer)
    {
        var list = new List<(int, byte[])>();
        var input = new CodedInputStream(buffer);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                list.Add((WireFormat.GetTagFieldNumber(tag), input.ReadBytes().ToByteArray()));
            }
            else
            {
                input.SkipLastField();
            }
        }

        return list;
    }

    private static (string Name, long[] Dims, float[] Data) Tensor(byte[] buffer)
    {
        // TensorProto: dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9
        var input = new CodedInputStream(buffer);
        var dims = new List<long>();
        var name = string.Empty;
        float[]? data = null;
        var floats = new List<float>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            switch (field)
            {
                case 1 when wire == WireFormat.WireType.Varint:
                    dims.Add(input.ReadInt64());
                    break;
                case 1:
                    var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
                    while (!packed.IsAtEnd)
                    {
                        dims.Add(packed.ReadInt64());
                    }

                    break;
                case 2:
                    var type = input.ReadInt32();
                    if (type != 1)
                    {
                        throw new NotSupportedException($"Initializer data type {type} is not float32.");
                    }

                    break;
                case 4 when wire == WireFormat.WireType.Fixed32:
                    floats.Add(input.ReadFloat());
                    break;
                case 4:
                    var bytes = input.ReadBytes().ToByteArray();
                    for (var i = 0; i < bytes.Length; i += 4)
                    {
                        floats.Add(BitConverter.ToSingle(bytes, i));
                    }

                    break;
                case 8:
                    name = input.ReadString();
                    break;
                case 9:
                    var raw = input.ReadBytes().ToByteArray();
                    data = new float[raw.Length / 4];
                    Buffer.BlockCopy(raw, 0, data, 0, raw.Length);
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return (name, dims.ToArray(), data ?? floats.ToArray());
    }
}
