using System.Globalization;
using System.Reflection;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary>The study's options as command-line words again, for the jobs a scheduler runs (<c>chorus slurm submit</c>).</summary>
internal static class StudyArguments
{
    // Options that a submission sets per job, not per study.
    private static readonly HashSet<string> PerJob = ["out", "members-range"];

    /// <summary>Every study option of <paramref name="settings"/> that is set, in declaration order, as <c>--name value</c> words.</summary>
    public static IReadOnlyList<string> From(StudyCommandSettings settings)
    {
        var words = new List<string>();
        foreach (var property in typeof(StudyCommandSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } option || option.LongNames.Count == 0 || PerJob.Contains(option.LongNames[0]))
            {
                continue;
            }

            var name = "--" + option.LongNames[0];
            switch (property.GetValue(settings))
            {
                case null:
                case false:
                    break;
                case true:
                    words.Add(name);
                    break;
                case double d:
                    words.AddRange([name, d.ToString("R", CultureInfo.InvariantCulture)]);
                    break;
                case IFormattable f:
                    words.AddRange([name, f.ToString(null, CultureInfo.InvariantCulture)]);
                    break;
                case string s:
                    words.AddRange([name, s]);
                    break;
                case var other:
                    throw new InvalidOperationException($"{property.Name}: no command-line form for {other.GetType().Name}.");
            }
        }

        return words;
    }
}
