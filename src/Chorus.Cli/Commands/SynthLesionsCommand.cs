using System.ComponentModel;
using Chorus.Cli.Infrastructure;
using Chorus.Data.Synthetic;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus synth lesions</c>: writes a SynthLesions dataset in the ISIC 2018 Task 1 layout.</summary>
public sealed class SynthLesionsCommand(IAnsiConsole console) : Command<SynthLesionsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[OUT]")]
        [Description("Output folder (must not exist or be empty). Same as --out.")]
        public string? OutArgument { get; init; }

        [CommandOption("-o|--out <DIR>")]
        [Description("Output folder (must not exist or be empty). Default: synthlesions.")]
        public string? OutOption { get; init; }

        [CommandOption("--count <N>")]
        [Description("Number of images (benign and malignant alternate, so classes are balanced).")]
        [DefaultValue(1000)]
        public int Count { get; init; } = 1000;

        [CommandOption("--size <PX>")]
        [Description("Image width and height in pixels, 32..512.")]
        [DefaultValue(64)]
        public int Size { get; init; } = 64;

        [CommandOption("--test-fraction <F>")]
        [Description("Fraction of each class held out (ISIC Validation folders), [[0,1).")]
        [DefaultValue(0.3)]
        public double TestFraction { get; init; } = 0.3;

        [CommandOption("--seed <N>")]
        [Description("Seed: the same options give a byte-identical folder.")]
        [DefaultValue(0L)]
        public long Seed { get; init; }

        /// <summary>The output folder: the argument, else <c>--out</c>, else <c>synthlesions</c>.</summary>
        public string Out => OutArgument ?? OutOption ?? "synthlesions";

        public SynthLesionsOptions ToOptions() => new(Count, Size, TestFraction, Seed);

        public override ValidationResult Validate()
        {
            if (OutArgument is not null && OutOption is not null && OutArgument != OutOption)
            {
                return ValidationResult.Error($"Output folder given twice ('{OutArgument}' and --out '{OutOption}'); give it once.");
            }

            try
            {
                ToOptions().Validate();
                return ValidationResult.Success();
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message.ReplaceLineEndings(" "));
            }
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        var root = Path.GetFullPath(settings.Out);
        var summary = ProgressRunner.RunCounted(console, "SynthLesions", options.Count, progress => SynthLesions.Generate(root, options, progress, cancellationToken: cancellationToken));
        console.MarkupLine(
            $"Wrote [bold]{summary.Images}[/] lesion images ({string.Join("/", summary.Classes)}; {summary.TrainImages} train, {summary.TestImages} test) to [blue]{Markup.Escape(root)}[/].");
        return 0;
    }
}
