using Chorus.Torch.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.TestModels;

/// <summary>
/// One input channel; a 1×1 "conv" with filters +1 and −1 and no bias, so the activation is A = [x, −x];
/// "relu" gives R = [relu(x), relu(−x)]; logits = V · mean_{ij}(R). Hence ∂f_t/∂R_k = V[t,k] / (h·w):
/// Grad-CAM and Grad-CAM++ can be computed by hand.
/// </summary>
internal sealed class TwoFilterCamModel : nn.Module<Tensor, Tensor>, IClassifier
{
    private readonly Parameter head;

    public TwoFilterCamModel(float[,] v)
        : base(nameof(TwoFilterCamModel))
    {
        head = nn.Parameter(torch.tensor(v));
        NumClasses = v.GetLength(0);
        RegisterComponents();
    }

    public nn.Module Module => this;

    public int NumClasses { get; }

    public IReadOnlyList<string> LayerNames { get; } = ["conv", "relu"];

    public string DefaultCamLayer => "relu";

    public Tensor Forward(Tensor input) => forward(input);

    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        var a = torch.cat([input, -input], 1);
        var r = a.relu();
        activation = layer switch
        {
            "conv" => a,
            "relu" => r,
            _ => throw new ArgumentException($"Unknown layer '{layer}'.", nameof(layer)),
        };
        return r.mean([2, 3]).matmul(head.t());
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Forward(input, "relu", out _).MoveToOuterDisposeScope();
    }
}
