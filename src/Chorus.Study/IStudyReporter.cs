namespace Chorus.Study;

/// <summary>What a line a study reports is.</summary>
public enum StudyMessageKind
{
    /// <summary>A result or a step done (e.g. the members' accuracy).</summary>
    Info,

    /// <summary>A detail (e.g. reused work).</summary>
    Detail,

    /// <summary>Something the user should look at; the study goes on.</summary>
    Warning,
}

/// <summary>One progress bar of a <see cref="IStudyReporter.Progress{T}"/> phase.</summary>
public interface IStudyTask
{
    /// <summary>Steps done.</summary>
    double Value { get; set; }

    /// <summary>Steps in all.</summary>
    double MaxValue { get; set; }

    /// <summary>What the bar shows.</summary>
    string Description { get; set; }
}

/// <summary>Adds progress bars during a phase.</summary>
public interface IStudyProgress
{
    /// <summary>A new bar.</summary>
    IStudyTask AddTask(string description, double maxValue);
}

/// <summary>
/// How a study talks to its caller: lines of text (plain, never markup) and phases with progress bars. The command line
/// draws them with Spectre.Console; a library caller passes its own, or <see cref="SilentStudyReporter"/>.
/// </summary>
public interface IStudyReporter
{
    /// <summary>One line.</summary>
    void Message(StudyMessageKind kind, string text);

    /// <summary>Runs <paramref name="work"/> as one phase whose bars it adds; returns its result.</summary>
    T Progress<T>(Func<IStudyProgress, T> work);
}

/// <summary>Discards progress; writes lines to <paramref name="writer"/> when given (e.g. <c>Console.Error</c>).</summary>
public sealed class SilentStudyReporter(TextWriter? writer = null) : IStudyReporter
{
    /// <inheritdoc/>
    public void Message(StudyMessageKind kind, string text) =>
        writer?.WriteLine(kind == StudyMessageKind.Warning ? "warning: " + text : text);

    /// <inheritdoc/>
    public T Progress<T>(Func<IStudyProgress, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return work(new NoBars());
    }

    private sealed class NoBars : IStudyProgress
    {
        public IStudyTask AddTask(string description, double maxValue) => new Bar { Description = description, MaxValue = maxValue };
    }

    private sealed class Bar : IStudyTask
    {
        public double Value { get; set; }

        public double MaxValue { get; set; }

        public string Description { get; set; } = "";
    }
}

/// <summary>An <see cref="IProgress{T}"/> that runs its callback synchronously, under a lock (no thread-pool hop).</summary>
internal sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
{
    private readonly object _gate = new();

    public void Report(T value)
    {
        lock (_gate)
        {
            onReport(value);
        }
    }
}
