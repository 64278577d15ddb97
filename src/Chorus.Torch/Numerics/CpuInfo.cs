namespace Chorus.Torch.Numerics;

/// <summary>The CPU as the numerics verdict describes it: model name, the flags that decide oneDNN's kernels, and the ISA oneDNN picks from them.</summary>
/// <param name="Model">The CPU's model name (<c>/proc/cpuinfo</c>), or <c>unknown</c>.</param>
/// <param name="Flags">The flags that matter to oneDNN's kernel choice (avx2, avx512f, avx512_bf16, amx_tile, …), as the CPU reports them.</param>
/// <param name="IsaCap">The <c>ONEDNN_MAX_CPU_ISA</c> cap in this process's environment, or null.</param>
public sealed record CpuInfo(string Model, IReadOnlyList<string> Flags, string? IsaCap)
{
    private static readonly string[] Relevant =
        ["sse4_1", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"];

    /// <summary>
    /// The ISA oneDNN 3.x dispatches to on this CPU, derived from the flags the way oneDNN's <c>mayiuse</c> does, then
    /// lowered to the cap when one is set (<c>avx512_core_amx</c>, <c>avx512_core_bf16</c>, <c>avx512_core_vnni</c>,
    /// <c>avx512_core</c>, <c>avx2</c>, <c>sse41</c>). Derived, not read from oneDNN, which exports no query.
    /// </summary>
    public string OneDnnIsa
    {
        get
        {
            bool Has(string f) => Flags.Contains(f);
            var levels = new List<string> { "sse41" };
            if (Has("avx2") && Has("fma"))
            {
                levels.Add("avx2");
            }

            if (Has("avx512f") && Has("avx512bw") && Has("avx512vl") && Has("avx512dq"))
            {
                levels.Add("avx512_core");
                if (Has("avx512_vnni"))
                {
                    levels.Add("avx512_core_vnni");
                    if (Has("avx512_bf16"))
                    {
                        levels.Add("avx512_core_bf16");
                    }

                    if (Has("amx_tile") && Has("amx_bf16") && Has("amx_int8"))
                    {
                        levels.Add("avx512_core_amx");
                    }
                }
            }

            var best = levels[^1];
            if (IsaCap is null)
            {
                return best;
            }

            var cap = IsaCap.Trim().ToLowerInvariant();
            var index = levels.IndexOf(cap);
            return index >= 0 ? levels[index] : $"{best} (cap '{IsaCap}')";
        }
    }

    /// <summary>This machine's CPU, from <c>/proc/cpuinfo</c> and the C library's environment.</summary>
    public static CpuInfo Current()
    {
        var model = "unknown";
        var flags = new List<string>();
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0)
                    {
                        continue;
                    }

                    var key = line[..colon].Trim();
                    if (key == "model name" && model == "unknown")
                    {
                        model = line[(colon + 1)..].Trim();
                    }
                    else if (key == "flags" && flags.Count == 0)
                    {
                        var all = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                        flags.AddRange(Relevant.Where(all.Contains));
                    }
                }
            }
        }
        catch (IOException)
        {
            // Described as unknown.
        }

        string? cap;
        try
        {
            cap = OneDnn.GetEnv("ONEDNN_MAX_CPU_ISA") ?? OneDnn.GetEnv("DNNL_MAX_CPU_ISA");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            cap = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");
        }

        return new CpuInfo(model, flags, cap);
    }

    /// <summary>e.g. <c>AMD EPYC [avx2 avx512f avx512_bf16]</c>.</summary>
    public override string ToString() => $"{Model} [{string.Join(' ', Flags.Where(f => f.StartsWith("avx", StringComparison.Ordinal) || f.StartsWith("amx", StringComparison.Ordinal)))}]";
}
