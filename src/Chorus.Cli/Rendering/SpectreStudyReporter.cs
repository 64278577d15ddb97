using Chorus.Cli.Infrastructure;
using Chorus.Study;
using Spectre.Console;

namespace Chorus.Cli.Rendering;

/// <summary>A study's lines and progress bars on a Spectre.Console console.</summary>
internal sealed class SpectreStudyReporter(IAnsiConsole console) : IStudyReporter
{
    /// <inheritdoc/>
    public void Message(StudyMessageKind kind, string text)
    {
        var escaped = Markup.Escape(text);
        console.MarkupLine(kind switch
        {
            StudyMessageKind.Warning => $"[yellow]warning:[/] {escaped}",
            StudyMessageKind.Detail => $"[grey]{escaped}[/]",
            _ => escaped,
        });
    }

    /// <inheritdoc/>
    public T Progress<T>(Func<IStudyProgress, T> work) => ProgressRunner.Run(console, ctx => work(new Bars(ctx)));

    private sealed class Bars(ProgressContext context) : IStudyProgress
    {
        public IStudyTask AddTask(string description, double maxValue) => new Bar(context.AddTask(Markup.Escape(description), maxValue: maxValue));
    }

    private sealed class Bar(ProgressTask task) : IStudyTask
    {
        private string _description = task.Description;

        public double Value
        {
            get => task.Value;
            set => task.Value = value;
        }

        public double MaxValue
        {
            get => task.MaxValue;
            set => task.MaxValue = value;
        }

        public string Description
        {
            get => _description;
            set
            {
                _description = value;
                task.Description = Markup.Escape(value);
            }
        }
    }
}
