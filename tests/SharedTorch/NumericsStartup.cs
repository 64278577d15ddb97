using System.Runtime.CompilerServices;
using Chorus.Torch.Numerics;

namespace Chorus.Testing;

/// <summary>
/// Runs the numerics guard when the test assembly loads, before any test touches a tensor, as the CLI does at the start of
/// a command: a configuration forced with CHORUS_NUMERICS (an ISA cap binds only before oneDNN's first primitive) is in
/// force for every test, and on a CPU whose native kernels fail, the fallback is chosen before the first test runs.
/// </summary>
internal static class NumericsStartup
{
    [ModuleInitializer]
    internal static void Run() => NumericsGuard.Ensure();
}
