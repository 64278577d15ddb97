using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Benchmarks;

/// <summary>
/// TorchVision's <c>resnet18(num_classes: 1000)</c> (the torchvision BasicBlock layout the Captum peer script uses)
/// as an <see cref="IClassifier"/>: the forward is replayed child by child so <c>layer1..layer4</c> can be returned.
/// </summary>
internal sealed class ResNetClassifier : IClassifier
{
    private static readonly string[] Stem = ["conv1", "bn1", "relu", "maxpool"];
    private static readonly string[] Blocks = ["layer1", "layer2", "layer3", "layer4"];

    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _children;
    private readonly nn.Module<Tensor, Tensor> _resnet;

    public ResNetClassifier(long seed, int numClasses = 1000)
    {
        torch.manual_seed(seed);
        _resnet = torchvision.models.resnet18(num_classes: numClasses);
        _resnet.eval();
        NumClasses = numClasses;
        _children = _resnet.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
    }

    public nn.Module Module => _resnet;

    public int NumClasses { get; }

    public IReadOnlyList<string> LayerNames => Blocks;

    public string DefaultCamLayer => "layer4";

    public Tensor Forward(Tensor input) => _resnet.call(input);

    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        if (!Blocks.Contains(layer))
        {
            throw new ArgumentException($"Unknown layer '{layer}'; known: {string.Join(", ", Blocks)}.", nameof(layer));
        }

        using var scope = NewDisposeScope();
        var x = input;
        foreach (var name in Stem)
        {
            x = _children[name].call(x);
        }

        Tensor? act = null;
        foreach (var name in Blocks)
        {
            x = _children[name].call(x);
            if (name == layer)
            {
                act = x;
            }
        }

        var logits = _children["fc"].call(_children["flatten"].call(_children["avgpool"].call(x)));
        activation = act!.MoveToOuterDisposeScope();
        return logits.MoveToOuterDisposeScope();
    }

    public void Dispose() => _resnet.Dispose();
}
