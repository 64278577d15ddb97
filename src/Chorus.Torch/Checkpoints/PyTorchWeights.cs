using static TorchSharp.torch;

namespace Chorus.Torch.Checkpoints;

/// <summary>PyTorch <c>state_dict</c> files (<c>.safetensors</c>, or a zip <c>.pt</c>/<c>.pth</c> read by <see cref="PtCheckpoint"/>) loaded into modules by key name.</summary>
public static class PyTorchWeights
{
    /// <summary>Reads every tensor of <paramref name="path"/> (the caller owns them): safetensors by its header, anything else as a PyTorch zip checkpoint.</summary>
    /// <exception cref="InvalidDataException">Malformed file, or a .pt file whose pickle needs anything beyond a state_dict.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: weights file not found.", path);
        }

        using (var s = File.OpenRead(path))
        {
            Span<byte> magic = stackalloc byte[2];
            if (s.Read(magic) == 2 && magic[0] == (byte)'P' && magic[1] == (byte)'K')
            {
                s.Close();
                return PtCheckpoint.Load(path);
            }
        }

        return SafeTensors.Load(path).Tensors;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into <paramref name="module"/>'s parameters and buffers of the same names,
    /// then disposes <paramref name="state"/>. Every module key (except those under <paramref name="skipPrefixes"/>)
    /// must be present with the same shape; keys the module lacks are errors unless skipped too.
    /// </summary>
    /// <exception cref="InvalidDataException">Missing, unexpected or mis-shaped keys (the first few are named).</exception>
    public static void LoadInto(nn.Module module, Dictionary<string, Tensor> state, IReadOnlyList<string>? skipPrefixes = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(state);
        bool Skipped(string k) => skipPrefixes?.Any(p => k.StartsWith(p, StringComparison.Ordinal)) == true;
        try
        {
            var target = module.state_dict();
            var problems = new List<string>();
            foreach (var (name, t) in target.Where(p => !Skipped(p.Key)))
            {
                if (!state.TryGetValue(name, out var source))
                {
                    problems.Add($"missing '{name}'");
                }
                else if (!source.shape.SequenceEqual(t.shape))
                {
                    problems.Add($"'{name}' has shape [{string.Join(",", source.shape)}], the model needs [{string.Join(",", t.shape)}]");
                }
            }

            // PyTorch BatchNorm keeps num_batches_tracked; a model without it just ignores it.
            problems.AddRange(state.Keys.Where(k => !target.ContainsKey(k) && !Skipped(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Select(k => $"unexpected '{k}'"));
            if (problems.Count > 0)
            {
                throw new InvalidDataException($"state_dict does not fit the model: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? $" (+{problems.Count - 5} more)" : "")}.");
            }

            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            foreach (var (name, t) in target.Where(p => !Skipped(p.Key)))
            {
                t.copy_(state[name].to(t.dtype));
            }
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }
    }
}
