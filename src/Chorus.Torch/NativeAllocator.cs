using System.Runtime.InteropServices;

namespace Chorus.Torch;

/// <summary>
/// How libtorch's CPU tensors get their memory. libtorch has no caching allocator on CPU: every tensor is a
/// <c>malloc</c>/<c>free</c>, and glibc serves blocks above its mmap threshold (at most 32 MiB) with a fresh
/// <c>mmap</c> each time, so every large activation of every pass is page-faulted in and zeroed again by the kernel.
/// On the default demo that was 53–58 million page faults and 150–185 s of system time (about half of the explain
/// stage's CPU time). <see cref="KeepFreedMemory"/> tells glibc to serve all blocks from its heap and to keep freed
/// memory for reuse, which PyTorch's CPU performance guides get with jemalloc or tcmalloc instead.
/// </summary>
public static partial class NativeAllocator
{
    private const int MTrimThreshold = -1;
    private const int MMmapMax = -4;
    private static readonly object Gate = new();
    private static bool? _applied;

    /// <summary>What <see cref="KeepFreedMemory"/> did, for run manifests: the settings, or why none were applied.</summary>
    public static string Description { get; private set; } = "default (not configured)";

    /// <summary>
    /// On Linux with glibc: <c>mallopt(M_MMAP_MAX, 0)</c> (no per-block mmap: large blocks come from the heap and are
    /// reused after free) and <c>mallopt(M_TRIM_THRESHOLD, 2 GiB)</c> (free memory at the top of the heap is returned to
    /// the system only beyond 2 GiB). The process then keeps its peak native memory while it runs; values and results
    /// are unchanged. Elsewhere (or with another C library) it does nothing. Call once at start-up, before large tensors
    /// exist; further calls do nothing and return the first call's answer.
    /// </summary>
    /// <returns>True when the settings were applied.</returns>
    public static bool KeepFreedMemory()
    {
        lock (Gate)
        {
            _applied ??= Apply();
            return _applied.Value;
        }
    }

    private static bool Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            Description = "default (not Linux)";
            return false;
        }

        try
        {
            var ok = MallOpt(MMmapMax, 0) == 1 && MallOpt(MTrimThreshold, int.MaxValue) == 1;
            Description = ok ? "glibc mallopt M_MMAP_MAX=0 M_TRIM_THRESHOLD=2GiB" : "default (mallopt refused)";
            return ok;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Description = "default (no glibc mallopt)";
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int param, int value);
}
