using Chorus.Runs;

namespace Chorus.Study;

/// <summary>
/// A test hook for retries on a cluster: <c>CHORUS_TEST_FAULT=explain:M</c> makes the process that is about to explain
/// member M crash once (an unexpected error, exit code 70). The first crash leaves <c>run/faults/explain-member-MM</c>,
/// so a retried task goes on. Unset, it does nothing.
/// </summary>
public static class InjectedFault
{
    /// <summary>The environment variable read.</summary>
    public const string Variable = "CHORUS_TEST_FAULT";

    /// <summary>Crashes when the variable names <paramref name="stage"/> and a member of <paramref name="range"/> not crashed before.</summary>
    /// <exception cref="InvalidOperationException">The injected fault.</exception>
    public static void CrashOnce(string stage, MemberRange range, string runDir)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } spec)
        {
            return;
        }

        var parts = spec.Split(':');
        if (parts.Length != 2 || parts[0] != stage || !int.TryParse(parts[1], out var member) || !range.Contains(member))
        {
            return;
        }

        var marker = Path.Combine(runDir, "faults", $"{stage}-member-{member:D2}");
        if (File.Exists(marker))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, DateTime.UtcNow.ToString("O"));
        throw new InvalidOperationException($"{Variable}={spec}: injected crash before the {stage} stage of member {member}.");
    }
}
