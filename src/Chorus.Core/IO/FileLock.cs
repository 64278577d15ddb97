using System.Collections.Concurrent;

namespace Chorus.IO;

/// <summary>
/// An exclusive lock on a file, shared by the threads of this process and held against other processes (on Linux an
/// advisory <c>flock</c>, which the kernel releases when the process dies, so a killed process never leaves a stale
/// lock; the lock file itself stays, empty, and is reused). Acquiring a lock this process already holds only counts it.
/// </summary>
public sealed class FileLock : IDisposable
{
    private static readonly ConcurrentDictionary<string, Held> HeldHere = new(StringComparer.Ordinal);
    private readonly string _path;
    private bool _disposed;

    private FileLock(string path) => _path = path;

    /// <summary>The lock file.</summary>
    public string Path => _path;

    /// <summary>
    /// Takes the lock on <paramref name="path"/> (created with its folder when missing), or throws at once when another
    /// process holds it.
    /// </summary>
    /// <param name="path">The lock file.</param>
    /// <param name="what">What the lock guards, for the error message (e.g. <c>member 3</c>).</param>
    /// <exception cref="ChorusException">Another process holds the lock; the message names <paramref name="what"/> and the file.</exception>
    public static FileLock Acquire(string path, string what) =>
        TryAcquire(path, TimeSpan.Zero) ?? throw new ChorusException($"{what} is being worked on by another process (it holds the lock {path}); give each process its own members, or wait until it ends.");

    /// <summary>Takes the lock on <paramref name="path"/>, waiting up to <paramref name="timeout"/> for another process to release it; null when it did not.</summary>
    public static FileLock? TryAcquire(string path, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (HeldHere)
            {
                if (HeldHere.TryGetValue(full, out var held))
                {
                    held.Count++;
                    return new FileLock(full);
                }

                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
                try
                {
                    var stream = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    HeldHere[full] = new Held(stream);
                    return new FileLock(full);
                }
                catch (IOException) when (File.Exists(full))
                {
                    // Held by another process.
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                return null;
            }

            Thread.Sleep(200);
        }
    }

    /// <summary>
    /// Whether a process holds the lock on <paramref name="path"/> now, read without taking it (so a process that is
    /// about to take it never finds it briefly held by the one asking): on Linux from <c>/proc/locks</c>, which lists the
    /// locks of this machine's processes only (on a shared filesystem, a lock held on another node reads as free), and a
    /// lock whose locking process has exited while a child it forked keeps the descriptor open reads as free too (Chorus's
    /// own processes start children without inheriting descriptors). Never creates the file.
    /// </summary>
    public static bool IsHeld(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        lock (HeldHere)
        {
            if (HeldHere.ContainsKey(full))
            {
                return true;
            }
        }

        if (!OperatingSystem.IsLinux() || !File.Exists(full) || !File.Exists("/proc/locks"))
        {
            return false;
        }

        // e.g. "3: FLOCK  ADVISORY  WRITE 4242 00:2d:1234 0 EOF" (waiting requests carry "->"): the processes that hold a
        // flock; one of them holds this file's when it has the file open (a FileLock opens the file only to lock it).
        var holders = File.ReadLines("/proc/locks")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 5 && f[1] == "FLOCK")
            .Select(f => f[4])
            .Distinct();
        foreach (var pid in holders)
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget == full))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile, or belongs to another user.
            }
        }

        return false;
    }

    /// <summary>Releases this hold; the file is unlocked when the last hold of this process is released.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (HeldHere)
        {
            if (HeldHere.TryGetValue(_path, out var held) && --held.Count == 0)
            {
                HeldHere.TryRemove(_path, out _);
                held.Stream.Dispose();
            }
        }
    }

    private sealed class Held(FileStream stream)
    {
        public FileStream Stream { get; } = stream;

        public int Count { get; set; } = 1;
    }
}
