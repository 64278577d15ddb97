using System.Runtime.InteropServices;

namespace Chorus.Torch.Numerics;

/// <summary>
/// libtorch's oneDNN switch (<c>at::globalContext().setUserEnabledMkldnn(bool)</c>, read by every convolution when it
/// picks a backend, forward and backward) and the <c>ONEDNN_MAX_CPU_ISA</c> cap (read by oneDNN at its first primitive
/// through the C library's <c>getenv</c>, which .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not reach, hence <c>setenv</c>).
/// </summary>
internal static partial class OneDnn
{
    private const string TorchCpu = "libtorch_cpu";
    private static readonly object Gate = new();
    private static int _backwardDepth;
    private static bool _offInBackward;

    /// <summary>Whether libtorch may use oneDNN now.</summary>
    public static bool Enabled
    {
        get => UserEnabledMkldnn(GlobalContext());
        set => SetUserEnabledMkldnn(GlobalContext(), value);
    }

    /// <summary>
    /// Sets the process-wide switches for <paramref name="configuration"/>: oneDNN on (native, ISA caps), on with
    /// backward passes off, or off. An ISA cap is written to the environment here but only binds if no oneDNN
    /// primitive has run yet.
    /// </summary>
    public static void Apply(NumericsConfiguration configuration)
    {
        lock (Gate)
        {
            if (configuration.IsaCap() is { } cap)
            {
                SetEnv("ONEDNN_MAX_CPU_ISA", cap);
            }

            _offInBackward = configuration == NumericsConfiguration.OneDnnOffInBackward;
            Enabled = configuration switch
            {
                NumericsConfiguration.OneDnnOff => false,
                NumericsConfiguration.OneDnnOffInBackward => _backwardDepth == 0,
                _ => true,
            };
        }
    }

    /// <summary>
    /// A backward pass as a scope (<c>using (OneDnn.Backward()) { … }</c>): with
    /// <see cref="NumericsConfiguration.OneDnnOffInBackward"/> oneDNN is off until the last concurrent backward pass leaves
    /// (counted, so overlapping passes on several threads never turn it back on early).
    /// </summary>
    public static BackwardScope Backward()
    {
        lock (Gate)
        {
            if (_backwardDepth++ == 0 && _offInBackward)
            {
                Enabled = false;
            }
        }

        return default;
    }

    private static void LeaveBackward()
    {
        lock (Gate)
        {
            if (--_backwardDepth == 0 && _offInBackward)
            {
                Enabled = true;
            }
        }
    }

    /// <summary>Leaves the backward pass entered with <see cref="Backward"/> on dispose.</summary>
    internal readonly struct BackwardScope : IDisposable
    {
        public void Dispose() => LeaveBackward();
    }

    /// <summary>The C library's view of an environment variable (what oneDNN reads).</summary>
    public static string? GetEnv(string name)
    {
        var p = GetEnvNative(name);
        return p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
    }

    /// <summary>Sets an environment variable for native code (and .NET) in this process.</summary>
    public static void SetEnv(string name, string value)
    {
        if (SetEnvNative(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed.");
        }

        Environment.SetEnvironmentVariable(name, value);
    }

    [LibraryImport(TorchCpu, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(TorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledMkldnn(IntPtr context);

    [LibraryImport(TorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvNative(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnvNative(string name);
}
