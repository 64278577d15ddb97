using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>
/// A feature extractor a <see cref="BackboneClassifier"/> puts a head on: from preprocessed images to features
/// ([N,F] or [N,F,h,w], pooled by the classifier), with its intermediate tensors reachable by name.
/// </summary>
public interface IFeatureBackbone : IDisposable
{
    /// <summary>The module holding the backbone's parameters and buffers.</summary>
    nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>F, the size of dimension 1 of the features.</summary>
    int FeatureDim { get; }

    /// <summary>Names of the intermediate tensors, in graph order.</summary>
    IReadOnlyList<string> LayerNames { get; }

    /// <summary>The backbone's last 4-D activation (the Grad-CAM default).</summary>
    string DefaultCamLayer { get; }

    /// <summary>
    /// Parameter names (relative to <see cref="Module"/>) of each stage, input side first (e.g. stem, layer1 … layer4).
    /// Used to freeze all but the last stages.
    /// </summary>
    IReadOnlyList<IReadOnlyList<string>> Stages { get; }

    /// <summary>Features of preprocessed images, and the named layer's activation when <paramref name="layer"/> is not null.</summary>
    Tensor Features(Tensor input, string? layer, out Tensor? activation);
}
