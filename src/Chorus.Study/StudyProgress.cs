using Chorus.IO;
using Chorus.Runs;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>One member's state in a run folder.</summary>
/// <param name="Index">The member (0-based).</param>
/// <param name="Trained">Its checkpoint is there.</param>
/// <param name="Explained">The maps of every method are there.</param>
/// <param name="Busy">A process holds its lock now (training or explaining it), as this machine sees the lock.</param>
public sealed record MemberProgress(int Index, bool Trained, bool Explained, bool Busy);

/// <summary>Where a study stands, read from its run folder only (what a scheduler's status command shows).</summary>
/// <param name="Members">Each member's state.</param>
/// <param name="Prepared">The shared start is there (<c>chorus prepare</c> or the first member range made it).</param>
/// <param name="Evaluated">results.csv is there.</param>
/// <param name="Reported">report.html is there.</param>
public sealed record StudyProgress(IReadOnlyList<MemberProgress> Members, bool Prepared, bool Evaluated, bool Reported)
{
    /// <summary>The members whose maps are not all there yet.</summary>
    public IReadOnlyList<int> Unfinished => [.. Members.Where(m => !m.Explained).Select(m => m.Index)];

    /// <summary>Reads the state of <paramref name="members"/> members explained with <paramref name="methods"/>.</summary>
    public static StudyProgress Read(RunLayout layout, int members, IReadOnlyList<string> methods)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var list = Enumerable.Range(0, members).Select(m => new MemberProgress(
            m,
            File.Exists(layout.Checkpoint(m)),
            methods.Count > 0 && methods.All(method => File.Exists(layout.Maps(method, m))),
            FileLock.IsHeld(EnsembleTrainer.MemberLockPath(layout.Run, m)))).ToList();
        return new StudyProgress(
            list,
            File.Exists(Path.Combine(layout.Run, "shared-init.safetensors")),
            File.Exists(layout.Results),
            File.Exists(Path.Combine(layout.Folder, "report.html")));
    }
}
