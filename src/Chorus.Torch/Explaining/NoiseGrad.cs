using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Explaining;

/// <summary>
/// NoiseGrad (Bykov et al., AAAI 2022): one model becomes many by multiplicative weight noise, θ_i = θ ⊙ η_i with
/// η_i ~ N(1, σ²) drawn per element of every parameter. <see cref="Perturb"/> keeps an exact copy of the weights and puts
/// it back when disposed, so samples never compound (the reference package's shallow <c>state_dict().copy()</c> does:
/// its second sample is θ ⊙ η_1 ⊙ η_2).
/// </summary>
public static class NoiseGrad
{
    /// <summary>The paper's σ.</summary>
    public const double DefaultSigma = 0.2;

    /// <summary>
    /// Multiplies every parameter of <paramref name="model"/> by its own N(1, σ²) noise, seeded by <paramref name="seed"/>;
    /// disposing the result writes the original weights back, bit for bit. Buffers (BatchNorm statistics) are not touched.
    /// </summary>
    public static IDisposable Perturb(IClassifier model, double sigma, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.Module.parameters().ToList();
        var saved = new List<Tensor>(parameters.Count);
        using (no_grad())
        {
            foreach (var p in parameters)
            {
                saved.Add(p.detach().clone().DetachFromDisposeScope());
            }
        }

        Apply(model, sigma, seed);
        return new Restore(parameters, saved);
    }

    /// <summary>
    /// Multiplies every parameter of <paramref name="model"/> by its own N(1, σ²) noise, seeded by <paramref name="seed"/>,
    /// for good: for a model that is a fresh copy (loaded from a checkpoint) and is thrown away afterwards.
    /// </summary>
    public static void Apply(IClassifier model, double sigma, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(sigma);
        using (no_grad())
        using (var generator = new Generator((ulong)seed))
        {
            foreach (var p in model.Module.parameters())
            {
                using var noise = randn(p.shape, dtype: p.dtype, device: p.device, generator: generator);
                using var eta = noise.mul_(sigma).add_(1.0);
                p.mul_(eta);
            }
        }
    }

    private sealed class Restore(List<TorchSharp.Modules.Parameter> parameters, List<Tensor> saved) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done)
            {
                return;
            }

            _done = true;
            using (no_grad())
            {
                for (var i = 0; i < parameters.Count; i++)
                {
                    parameters[i].copy_(saved[i]);
                    saved[i].Dispose();
                }
            }
        }
    }
}
