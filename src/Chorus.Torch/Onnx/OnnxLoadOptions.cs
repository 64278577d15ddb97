namespace Chorus.Torch.Onnx;

/// <summary>Options for <see cref="OnnxModel.Load(string, OnnxLoadOptions?)"/>. The imported module is float32 only.</summary>
/// <param name="FeaturesTensor">
/// Cut the graph at this ONNX tensor name (any node output, e.g. <c>"/relu2/Relu_output_0"</c>): the module
/// then outputs that tensor, and nodes not needed for it are dropped. <c>null</c> (default): the graph's first output.
/// </param>
/// <param name="TrainableParameters">
/// Float initializers (weights, biases, BatchNorm scale/shift) are always registered as parameters; this sets
/// their <c>requires_grad</c> (default <c>true</c>, for fine-tuning; it can be changed later per parameter).
/// BatchNorm running statistics, integer initializers and Constant nodes are buffers.
/// </param>
/// <param name="FlattenOutput">
/// Flatten the output to [N, K] when it has more than two dimensions (e.g. pooled features [N,512,1,1]).
/// Default <c>false</c>: the output keeps the graph's shape.
/// </param>
/// <param name="AnyImageSize">
/// Adapt constructs an exporter fixed for the declared input size so other image sizes work: explicit
/// asymmetric pads of Conv/MaxPool/AveragePool that equal SAME_LOWER or SAME_UPPER padding at the declared
/// size are recomputed as that SAME padding for each input (CNTK exports, e.g. ResNet-18's [1,1,0,0]), and an
/// unpadded AveragePool/MaxPool whose kernel covers its whole input at the declared size (CNTK ResNet-18's
/// 7×7 at 224) runs as global pooling. Identical results at the declared size. Default <c>false</c>: the
/// file's fixed pads and kernels, which fail or change meaning at other sizes.
/// </param>
public sealed record OnnxLoadOptions(
    string? FeaturesTensor = null,
    bool TrainableParameters = true,
    bool FlattenOutput = false,
    bool AnyImageSize = false)
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
