using Spectre.Console;

namespace Chorus.Cli.Infrastructure;

/// <summary>Spectre.Console progress bars with a uniform look, and a plain fallback when output is redirected.</summary>
internal static class ProgressRunner
{
    /// <summary>Runs <paramref name="work"/> with a progress display on <paramref name="console"/>.</summary>
    public static T Run<T>(IAnsiConsole console, Func<ProgressContext, T> work)
    {
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn())
            .Start(ctx => result = work(ctx));
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> under one progress bar of <paramref name="total"/> steps, described by
    /// <paramref name="description"/>; <paramref name="work"/> reports the steps done so far. The bar is full at the end.
    /// </summary>
    public static T RunCounted<T>(IAnsiConsole console, string description, double total, Func<IProgress<int>, T> work) =>
        Run(console, ctx =>
        {
            var task = ctx.AddTask(description, maxValue: total);
            var result = work(Report<int>(n => task.Value = n));
            task.Value = task.MaxValue;
            return result;
        });

    /// <summary>An <see cref="IProgress{T}"/> that sets a task's value synchronously (no thread-pool hop).</summary>
    public static IProgress<T> Report<T>(Action<T> onReport) => new SyncProgress<T>(onReport);

    private sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
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
}
