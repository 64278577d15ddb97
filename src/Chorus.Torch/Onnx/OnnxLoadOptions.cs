namespace Chorus.Torch.Onnx;

/// <summary>Options for <see cref="OnnxModel.Load(string, OnnxLoadOptions?)"/>. The imported module is float32 only.</summary>
/// <param name="FeaturesTensor">
/// Cut the graph at this ONNX tensor name (any node output, e.g. <c>"/relu2/Relu_output_0"</c>): the module
/// then outputs that tensor, and nodes not needed for it are dropped. <c>null</c> (default): the graph's first output.
/// </param>
/// <param name="TrainableParameters">
/// Whether float initializers (weights, biases, BatchNorm scale/shift) are created with <c>requires_grad</c>
/// set (default <c>true</c>, for fine-tuning). BatchNorm running statistics are always buffers, never parameters.
/// </param>
/// <param name="FlattenOutput">
/// Flatten the output to [N, K] when it has more than two dimensions (e.g. pooled features [N,512,1,1]).
/// Default <c>false</c>: the output keeps the graph's shape.
/// </param>
public sealed record OnnxLoadOptions(string? FeaturesTensor = null, bool TrainableParameters = true, bool FlattenOutput = false)
{
    /// <summary>Throws if an option is out of range.</summary>
    public void Validate()
    {
        if (FeaturesTensor is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(FeaturesTensor, nameof(FeaturesTensor));
        }
    }
}
