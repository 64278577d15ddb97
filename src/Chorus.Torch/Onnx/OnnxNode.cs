using Onnx;

namespace Chorus.Torch.Onnx;

/// <summary>One node of the imported graph, with its attributes indexed by name.</summary>
internal sealed class OnnxNode
{
    public OnnxNode(NodeProto proto, int index, long opset)
    {
        OpType = proto.OpType;
        Name = string.IsNullOrEmpty(proto.Name) ? $"#{index}" : proto.Name;
        Domain = proto.Domain;
        Inputs = proto.Input.ToArray();
        Outputs = proto.Output.ToArray();
        Index = index;
        Opset = opset;
        var attributes = new Dictionary<string, AttributeProto>(StringComparer.Ordinal);
        foreach (var a in proto.Attribute)
        {
            attributes[a.Name] = a;
        }

        Attributes = attributes;
    }

    public string OpType { get; private set; }

    /// <summary>The node's name, or <c>#index</c> when the file gives none.</summary>
    public string Name { get; }

    public string Domain { get; }

    /// <summary>Input tensor names; an empty string is an omitted optional input.</summary>
    public string[] Inputs { get; }

    public string[] Outputs { get; }

    /// <summary>Position in the file's node list.</summary>
    public int Index { get; }

    /// <summary>Opset of the default ONNX domain the model imports.</summary>
    public long Opset { get; }

    public IReadOnlyDictionary<string, AttributeProto> Attributes { get; }

    /// <summary>An auto_pad mode that replaces the node's explicit pads (see <see cref="OnnxLoadOptions.AnyImageSize"/>).</summary>
    public string? AutoPadOverride { get; set; }

    /// <summary>Runs this node as another operator (e.g. a fixed-size AveragePool as GlobalAveragePool).</summary>
    public void ReplaceOperator(string opType) => OpType = opType;

    /// <summary>"Conv 'name' (opset 13)", for error messages.</summary>
    public string Describe() => $"{OpType} node '{Name}' (opset {Opset})";
}
