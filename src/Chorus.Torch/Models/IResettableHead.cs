using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>A classifier whose head can be re-initialised, so ensemble members share a backbone init but not a head.</summary>
public interface IResettableHead
{
    /// <summary>Re-initialises the classification head from <paramref name="generator"/> (PyTorch's default Linear init).</summary>
    void ResetHead(Generator generator);
}

/// <summary>The one re-initialisation of a linear head every classifier with a resettable head uses.</summary>
public static class LinearHeads
{
    /// <summary>Re-initialises <paramref name="head"/> as PyTorch's <c>nn.Linear</c> does (weight and bias uniform in ±1/√fan_in), from <paramref name="generator"/>.</summary>
    public static void Reset(TorchSharp.Modules.Linear head, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(head);
        using var noGrad = no_grad();
        var bound = 1.0 / Math.Sqrt(head.weight!.shape[1]);
        head.weight.uniform_(-bound, bound, generator);
        head.bias!.uniform_(-bound, bound, generator);
    }
}
