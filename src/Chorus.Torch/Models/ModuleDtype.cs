using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>
/// Converts a float32 module to another floating-point type for as long as this object lives, and gives it back
/// bit-for-bit unchanged: every floating-point parameter and buffer is cloned in float32 first, and
/// <see cref="Dispose"/> converts the module back and copies the saved values in (a bf16 round trip alone would round
/// them). Used by <c>BFloat16Classifier</c> (bf16 attribution) and by the numerics guard's float64 reference.
/// </summary>
internal sealed class ModuleDtype : IDisposable
{
    private readonly nn.Module _module;
    private readonly Dictionary<string, Tensor> _saved = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Converts <paramref name="module"/> (float32) to <paramref name="dtype"/> until <see cref="Dispose"/>.</summary>
    /// <exception cref="ArgumentException">The module holds floating-point tensors that are not float32.</exception>
    public ModuleDtype(nn.Module module, ScalarType dtype, string purpose)
    {
        _module = module ?? throw new ArgumentNullException(nameof(module));
        foreach (var (name, t) in module.state_dict())
        {
            if (t.is_floating_point() && t.dtype != ScalarType.Float32)
            {
                throw new ArgumentException($"Tensor '{name}' of the model is {t.dtype}; {purpose} needs a float32 model.", "model");
            }

            if (t.is_floating_point())
            {
                _saved[name] = t.detach().clone();
            }
        }

        Convert(module, dtype);
    }

    /// <summary>Converts the module back to float32 and restores its exact saved values.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Convert(_module, ScalarType.Float32);
        using (torch.no_grad())
        {
            foreach (var (name, t) in _module.state_dict())
            {
                if (_saved.TryGetValue(name, out var saved))
                {
                    t.copy_(saved);
                }
            }
        }

        foreach (var t in _saved.Values)
        {
            t.Dispose();
        }

        _saved.Clear();
    }

    /// <summary>
    /// <c>module.to(dtype)</c> applied to every module that holds tensors itself, leaves first: TorchSharp 0.107's
    /// recursive <c>Module.to</c> fails on containers such as <c>ModuleDict</c> ("same key ... Item"), which hold none.
    /// </summary>
    private static void Convert(nn.Module root, ScalarType dtype)
    {
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var m in root.named_modules().Select(nm => nm.module).Prepend(root))
        {
            if (!seen.Add(m) || (!m.named_parameters(recurse: false).Any() && !m.named_buffers(recurse: false).Any()))
            {
                continue;
            }

            try
            {
                m.to(dtype);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Cannot convert module '{m.GetName()}' ({m.GetType().Name}) to {dtype}: {e.Message}", "model", e);
            }
        }
    }
}
