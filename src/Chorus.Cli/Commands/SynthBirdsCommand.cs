using System.ComponentModel;
using Chorus.Cli.Infrastructure;
using Chorus.Data.Synthetic;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus synth birds</c>: writes a SynthBirds dataset in the CUB-200-2011 layout.</summary>
public sealed class SynthBirdsCommand(IAnsiConsole console) : Command<SynthBirdsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--out <DIR>")]
        [Description("Output folder (must not exist or be empty).")]
        public string Out { get; init; } = "synthbirds";

        [CommandOption("--species <N>")]
        [Description("Number of species, 1..66.")]
        [DefaultValue(8)]
        public int Species { get; init; } = 8;

        [CommandOption("--size <PX>")]
        [Description("Image width and height in pixels, 32..224.")]
        [DefaultValue(64)]
        public int Size { get; init; } = 64;

        [CommandOption("--count <N>")]
        [Description("Number of images (classes balanced).")]
        [DefaultValue(2000)]
        public int Count { get; init; } = 2000;

        [CommandOption("--test-fraction <F>")]
        [Description("Fraction of each species in the test split, [[0,1).")]
        [DefaultValue(0.3)]
        public double TestFraction { get; init; } = 0.3;

        [CommandOption("--seed <N>")]
        [Description("Seed: the same options give a byte-identical folder.")]
        [DefaultValue(0L)]
        public long Seed { get; init; }

        public SynthBirdsOptions ToOptions() => new(Species, Size, Count, TestFraction, Seed);

        public override ValidationResult Validate()
        {
            try
            {
                ToOptions().Validate();
                return ValidationResult.Success();
            }
            catch (ArgumentOutOfRangeException e)
            {
                return ValidationResult.Error(e.Message.ReplaceLineEndings(" "));
            }
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        var summary = ProgressRunner.RunCounted(console, "SynthBirds", options.Count, progress => SynthBirds.Generate(settings.Out, options, progress, cancellationToken: cancellationToken));
        console.MarkupLine($"Wrote [bold]{summary.Images}[/] images of {summary.Species.Count} species ({summary.TrainImages} train, {summary.TestImages} test) to [blue]{Markup.Escape(summary.Root)}[/].");
        return 0;
    }
}
