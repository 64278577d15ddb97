namespace Chorus.Data.Synthetic;

/// <summary>Options of <see cref="SynthLesions"/>. Every value is written to <c>synthlesions.json</c>.</summary>
/// <param name="Count">Number of images, 2..<see cref="MaxCount"/>. Default 1000. Image <c>i</c> (0-based) has class
/// <c>i mod 2</c> (<see cref="SynthLesions.ClassNames"/>), so classes are balanced.</param>
/// <param name="ImageSize">Width and height of the square images in pixels, 32..512. Default 64.</param>
/// <param name="TestFraction">Fraction of each class's images in the held-out split (written to the ISIC
/// <c>Validation</c> folders), in [0, 1). Default 0.3. The split is exact per class (stratified), not random.</param>
/// <param name="Seed">Seed of all randomness. Default 0. The same options give a byte-identical folder.</param>
public sealed record SynthLesionsOptions(int Count = 1000, int ImageSize = 64, double TestFraction = 0.3, long Seed = 0)
{
    /// <summary>Largest number of images: ids are <c>ISIC_&lt;7 digits&gt;</c>, numbered from 1.</summary>
    public const int MaxCount = 9_999_999;

    /// <summary>Smallest image side in pixels.</summary>
    public const int MinImageSize = 32;

    /// <summary>Largest image side in pixels.</summary>
    public const int MaxImageSize = 512;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> (an <see cref="ArgumentException"/>) naming the first invalid option.</summary>
    public void Validate()
    {
        var classes = SynthLesions.ClassNames.Count;
        if (Count < classes || Count > MaxCount)
        {
            throw new ArgumentOutOfRangeException(nameof(Count), Count, $"Count must be in {classes}..{MaxCount} (at least one image per class).");
        }

        if (ImageSize is < MinImageSize or > MaxImageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, $"ImageSize must be in {MinImageSize}..{MaxImageSize}.");
        }

        if (!(TestFraction >= 0 && TestFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, "TestFraction must be in [0, 1).");
        }
    }
}

/// <summary>Counts of a generated SynthLesions folder.</summary>
/// <param name="Images">All images written.</param>
/// <param name="TrainImages">Images in <c>ISIC2018_Task1-2_Training_Input/</c>.</param>
/// <param name="TestImages">Images in <c>ISIC2018_Task1-2_Validation_Input/</c> (the held-out split).</param>
/// <param name="Classes">Class names in the labels CSV column order (<see cref="SynthLesions.ClassNames"/>).</param>
public sealed record SynthLesionsSummary(int Images, int TrainImages, int TestImages, IReadOnlyList<string> Classes);
