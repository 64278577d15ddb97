namespace Chorus.Torch.Onnx;

/// <summary>
/// An ONNX file could not be imported: it is malformed or truncated, uses an operator or a data type
/// Chorus does not implement, or its graph cannot be run. The message names the file and, where one is
/// to blame, the node (op type, node name, opset).
/// </summary>
public sealed class OnnxImportException : Exception
{
    public OnnxImportException(string message)
        : base(message)
    {
    }

    public OnnxImportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
