using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static Onnx.AttributeProto.Types;

namespace Chorus.Torch.Tests.Onnx;

/// <summary>Builds small ONNX models in code, and runs any model with ONNX Runtime as the reference.</summary>
internal sealed class OnnxTestGraph
{
    private readonly ModelProto _model;

    public OnnxTestGraph(long opset = 13)
    {
        _model = new ModelProto { IrVersion = 8, ProducerName = "chorus-tests", Graph = new GraphProto { Name = "g" } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
    }

    public GraphProto Graph => _model.Graph;

    /// <summary>A float input; a null dimension is symbolic.</summary>
    public OnnxTestGraph Input(string name, params long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is { } v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        }

        Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        return this;
    }

    public OnnxTestGraph Output(string name)
    {
        Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        return this;
    }

    public OnnxTestGraph Floats(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(data);
        Graph.Initializer.Add(t);
        return this;
    }

    public OnnxTestGraph Longs(string name, long[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(data);
        Graph.Initializer.Add(t);
        return this;
    }

    /// <summary>A node; attribute values: long, float, string, long[], float[].</summary>
    public OnnxTestGraph Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = op + Graph.Node.Count };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long i: a.Type = AttributeType.Int; a.I = i; break;
                case int i: a.Type = AttributeType.Int; a.I = i; break;
                case float f: a.Type = AttributeType.Float; a.F = f; break;
                case string s: a.Type = AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
                case long[] ints: a.Type = AttributeType.Ints; a.Ints.AddRange(ints); break;
                case float[] fs: a.Type = AttributeType.Floats; a.Floats.AddRange(fs); break;
                default: throw new ArgumentException($"attribute {name}: {value.GetType()}");
            }

            node.Attribute.Add(a);
        }

        Graph.Node.Add(node);
        return this;
    }

    public byte[] ToBytes() => _model.ToByteArray();

    /// <summary>Writes the model to a fresh temporary file.</summary>
    public string Save()
    {
        var path = Path.Combine(TestPaths.TempDir("onnx"), "model.onnx");
        File.WriteAllBytes(path, ToBytes());
        return path;
    }

    /// <summary>ONNX Runtime's first output for one float input.</summary>
    public static (float[] Data, long[] Shape) RunOrt(byte[] model, float[] input, long[] shape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        return RunOrt(session, input, shape);
    }

    public static (float[] Data, long[] Shape) RunOrt(InferenceSession session, float[] input, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputNames[0]], [value], [session.OutputNames[0]]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[0].GetTensorTypeAndShape().Shape);
    }

    /// <summary>A copy of an ONNX file with a symbolic batch dimension on its input and output (so ORT accepts any N).</summary>
    public static byte[] WithDynamicBatch(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        foreach (var v in model.Graph.Input.Take(1).Concat(model.Graph.Output))
        {
            v.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        }

        return model.ToByteArray();
    }

    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1) * scale).ToArray();
    }

    /// <summary>Max |a-b| and max |a-b| / max |b|.</summary>
    public static (double Abs, double Rel) Error(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var abs = actual.Zip(expected, (a, b) => Math.Abs((double)a - b)).DefaultIfEmpty(0).Max();
        var scale = expected.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
        return (abs, scale == 0 ? abs : abs / scale);
    }
}
