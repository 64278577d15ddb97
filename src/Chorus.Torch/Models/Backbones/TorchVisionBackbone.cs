using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>
/// A TorchVision ResNet (<c>torchvision.models.resnet18/34/50</c>) without its classifier: the children
/// <c>conv1, bn1, relu, maxpool, layer1 … layer4</c> run in order. The module keeps PyTorch's parameter names
/// (<c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer1.0.conv1.weight</c>, …, <c>fc.*</c> unused), so a
/// PyTorch <c>state_dict</c> loads into it. Stages: stem (conv1, bn1), layer1, layer2, layer3, layer4.
/// </summary>
public sealed class TorchVisionBackbone : IFeatureBackbone
{
    /// <summary>Architectures <see cref="Create"/> knows.</summary>
    public static readonly IReadOnlyList<string> Architectures = ["resnet18", "resnet34", "resnet50"];

    private static readonly string[] Stem = ["conv1", "bn1", "relu", "maxpool"];
    private static readonly string[] Blocks = ["layer1", "layer2", "layer3", "layer4"];

    private readonly ResNet _resnet;
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _children;

    private TorchVisionBackbone(string architecture, ResNet resnet)
    {
        Architecture = architecture;
        _resnet = resnet;
        var children = resnet.named_children().ToDictionary(c => c.name, c => c.module);
        _children = Stem.Concat(Blocks).Select(n => (n, children.TryGetValue(n, out var m) && m is nn.Module<Tensor, Tensor> f
            ? f
            : throw new InvalidOperationException($"TorchVision {architecture} has no child module '{n}'."))).ToArray();
        FeatureDim = (int)((Linear)children["fc"]).weight!.shape[1];
        foreach (var p in resnet.named_parameters().Where(p => p.name.StartsWith("fc.", StringComparison.Ordinal)))
        {
            p.parameter.requires_grad = false;
        }

        var names = resnet.named_parameters().Select(p => p.name).Where(n => !n.StartsWith("fc.", StringComparison.Ordinal)).ToList();
        Stages = new[] { new[] { "conv1.", "bn1." } }.Concat(Blocks.Select(b => new[] { b + "." }))
            .Select(prefixes => (IReadOnlyList<string>)names.Where(n => prefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal))).ToList())
            .ToList();
    }

    /// <summary>resnet18, resnet34 or resnet50.</summary>
    public string Architecture { get; }

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor> Module => _resnet;

    /// <inheritdoc />
    public int FeatureDim { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> LayerNames => [.. Stem, .. Blocks];

    /// <inheritdoc />
    public string DefaultCamLayer => "layer4";

    /// <inheritdoc />
    public IReadOnlyList<IReadOnlyList<string>> Stages { get; }

    /// <summary>A randomly initialised (PyTorch default init, from the global generator) TorchVision ResNet.</summary>
    /// <param name="architecture">resnet18, resnet34 or resnet50.</param>
    public static TorchVisionBackbone Create(string architecture)
    {
        // num_classes 1: the unused fc stays tiny; PyTorch weights load with their fc.* skipped.
        ResNet resnet = architecture switch
        {
            "resnet18" => torchvision.models.resnet18(num_classes: 1),
            "resnet34" => torchvision.models.resnet34(num_classes: 1),
            "resnet50" => torchvision.models.resnet50(num_classes: 1),
            _ => throw new ArgumentException($"Unknown TorchVision architecture '{architecture}'. Known: {string.Join(", ", Architectures)}.", nameof(architecture)),
        };
        return new TorchVisionBackbone(architecture, resnet);
    }

    /// <inheritdoc />
    public Tensor Features(Tensor input, string? layer, out Tensor? activation)
    {
        activation = null;
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var (name, module) in _children)
        {
            x = module.call(x);
            if (name == layer)
            {
                activation = x;
            }
        }

        if (layer is not null && activation is null)
        {
            throw new ArgumentException($"Unknown layer '{layer}'. {Architecture} layers: {string.Join(", ", LayerNames)}.", nameof(layer));
        }

        activation = activation?.MoveToOuterDisposeScope();
        return (ReferenceEquals(x, activation) ? x.alias() : x).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => _resnet.Dispose();
}
