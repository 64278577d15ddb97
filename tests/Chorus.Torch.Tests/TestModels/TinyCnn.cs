using Chorus.Torch.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.TestModels;

/// <summary>conv3×3 → ReLU → conv3×3 → ReLU → global mean → linear: small, nonlinear, deterministic from a seed.</summary>
internal sealed class TinyCnn : nn.Module<Tensor, Tensor>, IClassifier
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc;

    public TinyCnn(int channels = 3, int classes = 4, ulong seed = 7)
        : base(nameof(TinyCnn))
    {
        conv1 = nn.Conv2d(channels, 6, 3, padding: 1);
        conv2 = nn.Conv2d(6, 8, 3, padding: 1);
        fc = nn.Linear(8, classes);
        NumClasses = classes;
        RegisterComponents();

        // Seeded re-initialisation with a private generator (no global RNG: tests run in parallel).
        using var g = new Generator(seed);
        using var noGrad = torch.no_grad();
        foreach (var (_, p) in named_parameters())
        {
            var fanIn = p.dim() > 1 ? p.shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 4;
            var bound = 1.5 / Math.Sqrt(fanIn);
            using var r = torch.rand(p.shape, generator: g);
            p.copy_((r * 2 - 1) * bound);
        }

        eval();
    }

    public nn.Module Module => this;

    public int NumClasses { get; }

    public IReadOnlyList<string> LayerNames { get; } = ["conv1", "relu1", "conv2", "relu2"];

    public string DefaultCamLayer => "relu2";

    public Tensor Forward(Tensor input) => forward(input);

    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        if (!LayerNames.Contains(layer))
        {
            throw new ArgumentException($"Unknown layer '{layer}'.", nameof(layer));
        }

        var c1 = conv1.call(input);
        var r1 = c1.relu();
        var c2 = conv2.call(r1);
        var r2 = c2.relu();
        activation = layer switch { "conv1" => c1, "relu1" => r1, "conv2" => c2, _ => r2 };
        return fc.call(r2.mean([2, 3]));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = conv2.call(conv1.call(input).relu()).relu();
        return fc.call(x.mean([2, 3])).MoveToOuterDisposeScope();
    }
}
