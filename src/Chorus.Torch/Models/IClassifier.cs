using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>
/// An image classifier Chorus can train or explain: a TorchSharp module from images [N,C,H,W] float32
/// to logits [N,K], whose intermediate tensors can be reached by name (for Grad-CAM) without hooks.
/// </summary>
public interface IClassifier : IDisposable
{
    /// <summary>The underlying module (parameters, train/eval mode, state_dict).</summary>
    nn.Module Module { get; }

    /// <summary>Number of classes K.</summary>
    int NumClasses { get; }

    /// <summary>Names of the intermediate tensors <see cref="Forward(Tensor, string, out Tensor)"/> accepts, in graph order.</summary>
    IReadOnlyList<string> LayerNames { get; }

    /// <summary>The layer Grad-CAM uses when none is named (the last convolutional block).</summary>
    string DefaultCamLayer { get; }

    /// <summary>Logits [N,K] for images [N,C,H,W].</summary>
    Tensor Forward(Tensor input);

    /// <summary>
    /// Logits [N,K], and the activation of the named layer as part of the same autograd graph
    /// (so gradients of the logits with respect to it can be taken).
    /// </summary>
    /// <exception cref="ArgumentException">The layer name is not one of <see cref="LayerNames"/>.</exception>
    Tensor Forward(Tensor input, string layer, out Tensor activation);
}
