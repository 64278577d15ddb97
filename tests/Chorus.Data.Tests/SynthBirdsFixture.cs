using Chorus.Data.Synthetic;

namespace Chorus.Data.Tests;

/// <summary>One small SynthBirds folder shared by the tests of a class (40 images at 48 px).</summary>
public sealed class SynthBirdsFixture
{
    public SynthBirdsFixture()
    {
        Root = Path.Combine(TestPaths.TempDir("synthbirds"), "ds");
        Summary = SynthBirds.Generate(Root, Options);
    }

    public static SynthBirdsOptions Options { get; } = new(Species: 8, ImageSize: 48, Count: 40, TestFraction: 0.3, Seed: 7);

    public string Root { get; }

    public SynthBirdsSummary Summary { get; }

    /// <summary>A fresh copy of the folder that a test may damage.</summary>
    public string Copy()
    {
        var dest = Path.Combine(TestPaths.TempDir("synthbirds-copy"), "ds");
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dest, Path.GetRelativePath(Root, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return dest;
    }
}
