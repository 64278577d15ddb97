using static TorchSharp.torch;

namespace Chorus.Torch.Checkpoints;

/// <summary>Saves and restores a module's <c>state_dict</c> as safetensors, with PyTorch key names.</summary>
public static class ModuleCheckpoint
{
    /// <summary>Writes every parameter and buffer of <paramref name="module"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var state = module.state_dict();
        SafeTensors.Save(path, state, metadata);
    }

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="module"/>. Every key of the module must be present with
    /// the same shape; otherwise an <see cref="InvalidDataException"/> names the file and the first mismatches.
    /// </summary>
    /// <returns>The checkpoint's metadata.</returns>
    public static IReadOnlyDictionary<string, string> Load(nn.Module module, string path)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        try
        {
            var state = module.state_dict();
            var problems = new List<string>();
            foreach (var (name, target) in state)
            {
                if (!tensors.TryGetValue(name, out var source))
                {
                    problems.Add($"missing '{name}'");
                }
                else if (!source.shape.SequenceEqual(target.shape))
                {
                    problems.Add($"'{name}' has shape [{string.Join(",", source.shape)}], the model needs [{string.Join(",", target.shape)}]");
                }
                else if (source.dtype != target.dtype)
                {
                    problems.Add($"'{name}' is {source.dtype}, the model needs {target.dtype}");
                }
            }

            problems.AddRange(tensors.Keys.Where(k => !state.ContainsKey(k)).Select(k => $"unexpected '{k}'"));
            if (problems.Count > 0)
            {
                throw new InvalidDataException($"{path}: checkpoint does not fit the model: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? $" (+{problems.Count - 5} more)" : "")}.");
            }

            using (no_grad())
            {
                foreach (var (name, target) in state)
                {
                    target.copy_(tensors[name]);
                }
            }

            return metadata;
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }
}
