using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>A classifier whose head can be re-initialised, so ensemble members share a backbone init but not a head.</summary>
public interface IResettableHead
{
    /// <summary>Re-initialises the classification head from <paramref name="generator"/> (PyTorch's default Linear init).</summary>
    void ResetHead(Generator generator);
}
