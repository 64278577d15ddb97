using System.Diagnostics;
using Chorus.IO;
using Chorus.Runs;

namespace Chorus.Core.Tests.Runs;

public class MemberRangeAndFileLockTests
{
    [Theory]
    [InlineData("0-3", 0, 3)]
    [InlineData(" 4-7 ", 4, 7)]
    [InlineData("5", 5, 5)]
    public void Parse_ReadsInclusiveZeroBasedRanges(string text, int first, int last)
    {
        var range = MemberRange.Parse(text);

        Assert.Equal(new MemberRange(first, last), range);
        Assert.Equal(Enumerable.Range(first, last - first + 1), range.Members);
        Assert.Equal(text.Trim(), range.ToString());
    }

    [Theory]
    [InlineData("3-1")]
    [InlineData("a-b")]
    [InlineData("-2")]
    [InlineData("1-2-3")]
    [InlineData("")]
    public void Parse_RefusesWhatIsNotARange(string text) => Assert.Throws<FormatException>(() => MemberRange.Parse(text));

    [Fact]
    public void Validate_RefusesARangePastTheLastMember()
    {
        MemberRange.Parse("8-10").Validate(11);
        Assert.Throws<ArgumentOutOfRangeException>(() => MemberRange.Parse("8-11").Validate(11));
    }

    [Fact]
    public void FileLock_HeldByAnotherHolder_IsAClearError_AndFreeAfterwards()
    {
        var path = Path.Combine(Path.GetTempPath(), $"chorus-lock-{Guid.NewGuid():N}", "member-03.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var e = Assert.Throws<ChorusException>(() => FileLock.Acquire(path, "Member 3"));
            Assert.Contains("Member 3", e.Message);
            Assert.Contains(path, e.Message);
            Assert.Null(FileLock.TryAcquire(path, TimeSpan.FromMilliseconds(300)));
        }

        using var held = FileLock.Acquire(path, "Member 3");
        using var again = FileLock.Acquire(path, "Member 3");   // the same process counts its holds
        Assert.Equal(path, held.Path);
    }

    [Fact]
    public void FileLock_OfAKilledProcess_IsReleasedByTheKernel()
    {
        // Given: another process holds the lock (flock(1), the same advisory lock .NET takes on Linux)
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/flock"))
        {
            return;
        }

        var path = Path.Combine(Path.GetTempPath(), $"chorus-lock-{Guid.NewGuid():N}.lock");
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-x", path, "sleep", "60"]) { UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(path) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Thread.Sleep(200);
        Assert.Throws<ChorusException>(() => FileLock.Acquire(path, "Member 0"));

        // When: it is killed (no chance to clean up)
        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();

        // Then: the lock file is still there, and free
        Assert.True(File.Exists(path));
        using var mine = FileLock.TryAcquire(path, TimeSpan.FromSeconds(5));
        Assert.NotNull(mine);
    }

    [Fact]
    public void IsHeld_ReadsAnotherProcesssLock_WithoutTakingIt_AndNeverCreatesTheFile()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/flock"))
        {
            return;
        }

        // Given: no lock file
        var path = Path.Combine(Path.GetTempPath(), $"chorus-lock-{Guid.NewGuid():N}.lock");
        Assert.False(FileLock.IsHeld(path));
        Assert.False(File.Exists(path));

        // When: another process holds it
        // (-o: flock closes its lock descriptor in `sleep`, so the lock is flock's own and dies with it)
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-o", "-x", path, "sleep", "60"]) { UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!FileLock.IsHeld(path) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        // Then: held, and asking many times never disturbs it
        Assert.True(FileLock.IsHeld(path));
        Assert.All(Enumerable.Range(0, 20), _ => Assert.True(FileLock.IsHeld(path)));
        Assert.False(holder.HasExited);

        // When: it ends; then: free, and this process's own hold reads as held
        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();
        Assert.False(FileLock.IsHeld(path));
        using (FileLock.Acquire(path, "test"))
        {
            Assert.True(FileLock.IsHeld(path));
        }

        Assert.False(FileLock.IsHeld(path));
        File.Delete(path);
    }
}
