namespace Chorus.Data.Synthetic;

/// <summary>Options of <see cref="SynthBirds"/>. Every value is written to <c>synthbirds.json</c>.</summary>
/// <param name="Species">Number of species (classes), 1..66. Default 8. From 4 species on, no beak type and no
/// wing type identifies a species alone (see <see cref="SynthBirdsSpecies"/>).</param>
/// <param name="ImageSize">Width and height of the square images in pixels, 32..224. Default 64.</param>
/// <param name="Count">Number of images, at least <paramref name="Species"/>. Default 2000. Image <c>i</c> (0-based)
/// shows species <c>i mod Species</c>, so classes are balanced.</param>
/// <param name="TestFraction">Fraction of each species' images in the test split, in [0, 1). Default 0.3.
/// The split is exact per species (stratified), not random.</param>
/// <param name="Seed">Seed of all randomness. Default 0. The same options give a byte-identical folder.</param>
public sealed record SynthBirdsOptions(
    int Species = 8,
    int ImageSize = 64,
    int Count = 2000,
    double TestFraction = 0.3,
    long Seed = 0)
{
    /// <summary>Largest number of species (distinct beak × wing combinations the table provides).</summary>
    public const int MaxSpecies = 66;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Species is < 1 or > MaxSpecies)
        {
            throw new ArgumentOutOfRangeException(nameof(Species), Species, $"Species must be in 1..{MaxSpecies}.");
        }

        if (ImageSize is < 32 or > 224)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "ImageSize must be in 32..224.");
        }

        if (Count < Species)
        {
            throw new ArgumentOutOfRangeException(nameof(Count), Count, $"Count must be at least Species ({Species}).");
        }

        if (!(TestFraction >= 0 && TestFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, "TestFraction must be in [0, 1).");
        }
    }
}
