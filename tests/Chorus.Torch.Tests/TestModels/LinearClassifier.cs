using Chorus.Torch.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.TestModels;

/// <summary>logits = W · flatten(x) + b: every gradient method has a closed form on it.</summary>
internal sealed class LinearClassifier : nn.Module<Tensor, Tensor>, IClassifier
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    public LinearClassifier(int channels, int height, int width, int classes, ulong seed = 1)
        : base(nameof(LinearClassifier))
    {
        using var g = new Generator(seed);
        weight = nn.Parameter(torch.randn(classes, channels * height * width, generator: g));
        bias = nn.Parameter(torch.randn(classes, generator: g));
        NumClasses = classes;
        RegisterComponents();
        eval();
    }

    public nn.Module Module => this;

    public int NumClasses { get; }

    public IReadOnlyList<string> LayerNames { get; } = ["input"];

    public string DefaultCamLayer => "input";

    /// <summary>W [K, C·H·W].</summary>
    public Tensor Weight => weight;

    public Tensor Bias => bias;

    public Tensor Forward(Tensor input) => forward(input);

    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        if (layer != "input")
        {
            throw new ArgumentException($"Unknown layer '{layer}'.", nameof(layer));
        }

        activation = input.alias();
        return forward(activation);
    }

    public override Tensor forward(Tensor input) => input.flatten(1).matmul(weight.t()) + bias;
}
