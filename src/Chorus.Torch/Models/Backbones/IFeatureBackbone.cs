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

/// <summary>
/// A backbone that can run in two parts: a trunk (its first stages) and the rest, split at one tensor. A classifier whose
/// trunk is frozen computes the trunk once per image and trains only the rest (<see cref="BackboneClassifier.TrunkCut"/>).
/// </summary>
public interface ISplittableBackbone
{
    /// <summary>The tensor after the first <paramref name="stages"/> of <see cref="IFeatureBackbone.Stages"/> (all stages: the features), or null when the graph does not split there.</summary>
    string? FindCut(int stages);

    /// <summary>The value of <paramref name="cut"/> for preprocessed images.</summary>
    Tensor ForwardTo(Tensor input, string cut);

    /// <summary>
    /// Names (relative to <see cref="IFeatureBackbone.Module"/>, as in its <c>state_dict</c>) of every parameter and buffer
    /// the trunk up to <paramref name="cut"/> reads: two backbones whose tensors of these names are equal have the same trunk.
    /// </summary>
    IReadOnlyList<string> TrunkState(string cut);

    /// <summary>The backbone's features from the value of <paramref name="cut"/> (as <see cref="IFeatureBackbone.Features"/> without a layer).</summary>
    Tensor FeaturesFrom(string cut, Tensor value);
}

