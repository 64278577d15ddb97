using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Onnx;

/// <summary>What an operator sees when it runs: its node, its input tensors and attribute accessors.</summary>
internal sealed class OnnxOpContext
{
    public OnnxOpContext(OnnxNode node, Tensor?[] inputs, bool batchedData, bool constantShape)
    {
        Node = node;
        Inputs = inputs;
        BatchedData = batchedData;
        ConstantShape = constantShape;
    }

    public OnnxNode Node { get; }

    /// <summary>Input tensors; <c>null</c> for an omitted optional input.</summary>
    public Tensor?[] Inputs { get; }

    public long Opset => Node.Opset;

    /// <summary>Input 0 carries the batch dimension of the graph input (it depends on the data).</summary>
    public bool BatchedData { get; }

    /// <summary>Input 1 is computed from initializers and constants only (for Reshape's dynamic batch rule).</summary>
    public bool ConstantShape { get; }

    public Tensor Input(int i) =>
        i < Inputs.Length && Inputs[i] is { } t ? t : throw Fail($"input {i} is required but missing");

    public Tensor? OptionalInput(int i) => i < Inputs.Length ? Inputs[i] : null;

    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) ? a.I : fallback;

    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out var a) ? a.F : fallback;

    public string String(string name, string fallback) => Attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;

    public float[]? Floats(string name) => Attributes.TryGetValue(name, out var a) ? a.Floats.ToArray() : null;

    public bool Has(string name) => Attributes.ContainsKey(name);

    /// <summary>An int64 vector from an attribute (older opsets) or else from input <paramref name="input"/> (newer opsets).</summary>
    public long[]? IntsFromAttributeOrInput(string attribute, int input) =>
        Ints(attribute) ?? (OptionalInput(input) is { } t ? ReadLongs(t) : null);

    public static long[] ReadLongs(Tensor t)
    {
        using var cpu = t.to(ScalarType.Int64).cpu().contiguous();
        return cpu.data<long>().ToArray();
    }

    public static double ReadScalar(Tensor t)
    {
        using var cpu = t.to(ScalarType.Float64).cpu().contiguous();
        var values = cpu.data<double>().ToArray();
        return values.Length == 1 ? values[0] : throw new InvalidOperationException($"expected a scalar, got shape [{string.Join(",", t.shape)}]");
    }

    public InvalidOperationException Fail(string message) => new($"{Node.Describe()}: {message}");

    private IReadOnlyDictionary<string, AttributeProto> Attributes => Node.Attributes;
}
