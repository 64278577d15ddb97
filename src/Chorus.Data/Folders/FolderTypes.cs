namespace Chorus.Data.Folders;

/// <summary>Which images of a <see cref="FolderDataset"/>.</summary>
public enum FolderSplit
{
    Train,
    Test,
    All,
}

/// <summary>The kind of a <c>regions.csv</c> row.</summary>
public enum FolderRegionKind
{
    /// <summary>A keypoint <c>x,y</c>; becomes a disc of radius <see cref="Regions.RoiOptions.DiscRadiusFraction"/> × max(image width, height).</summary>
    Point,

    /// <summary>A box <c>x,y,w,h</c> (top-left corner and size).</summary>
    Box,
}

/// <summary>
/// One row of <c>regions.csv</c>, in pixels of the original image. Coordinates are pixel edges: pixel (i, j) covers
/// [i, i+1) × [j, j+1), so the centre of pixel (i, j) is (i + 0.5, j + 0.5).
/// </summary>
/// <param name="Name">The region name (rows with the same name on one image are united).</param>
/// <param name="Kind">Point or box.</param>
/// <param name="X">Keypoint x, or left edge of the box.</param>
/// <param name="Y">Keypoint y, or top edge of the box.</param>
/// <param name="Width">Box width (0 for points).</param>
/// <param name="Height">Box height (0 for points).</param>
/// <param name="Line">1-based line in <c>regions.csv</c>.</param>
public sealed record FolderRegion(string Name, FolderRegionKind Kind, float X, float Y, float Width, float Height, int Line);

/// <summary>One image of a <see cref="FolderDataset"/>.</summary>
/// <param name="Id">1-based position in <see cref="FolderDataset.Images"/> (ordered by class, then path, ordinal).</param>
/// <param name="RelativePath">Path relative to the root with forward slashes, e.g. <c>cat/001.jpg</c>.</param>
/// <param name="FullPath">Absolute path of the image file.</param>
/// <param name="ClassIndex">0-based label: position of the class folder among the sorted class folders.</param>
/// <param name="ClassName">The class folder name.</param>
/// <param name="IsTrain">From <c>split.csv</c>, else from the seeded stratified split.</param>
/// <param name="Width">Image width from the file header.</param>
/// <param name="Height">Image height from the file header.</param>
/// <param name="MaskPath">Absolute path of <c>masks/&lt;class&gt;/&lt;stem&gt;.png</c>, or null when there is none.</param>
/// <param name="Regions">The rows of <c>regions.csv</c> for this image, in file order.</param>
public sealed record FolderImage(
    int Id,
    string RelativePath,
    string FullPath,
    int ClassIndex,
    string ClassName,
    bool IsTrain,
    int Width,
    int Height,
    string? MaskPath,
    IReadOnlyList<FolderRegion> Regions);

/// <summary>Options of <see cref="FolderDataset.Load"/>.</summary>
/// <param name="TestFraction">Without <c>split.csv</c>: the fraction of each class's images put in the test split
/// (rounded half away from zero per class). Default 0.3; must be in [0, 1].</param>
/// <param name="Seed">Without <c>split.csv</c>: the seed of the split; the same seed and files give the same split. Default 0.</param>
/// <param name="CheckPixels">Also decode every image and mask (finds corrupt or truncated data and non-binary masks,
/// which are otherwise found by <see cref="FolderDataset.LoadSplit"/>). Default false: headers only.</param>
/// <param name="Lenient">Keep going on problems: images with problems are left out and every problem is listed in
/// <see cref="FolderDataset.Problems"/> instead of throwing <see cref="FolderFormatException"/>. Default false.</param>
public sealed record FolderLoadOptions(double TestFraction = 0.3, int Seed = 0, bool CheckPixels = false, bool Lenient = false)
{
    public void Validate()
    {
        if (!(TestFraction >= 0 && TestFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, "TestFraction must be in [0, 1].");
        }
    }
}

/// <summary>One problem found while reading a folder dataset: file (relative to the root), 1-based line (0 = whole file), message.</summary>
public sealed record FolderProblem(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>A folder dataset that is incomplete or malformed. <see cref="Problems"/> lists every problem found.</summary>
public sealed class FolderFormatException : Exception
{
    /// <summary>At most this many problems are listed in <see cref="Exception.Message"/>.</summary>
    public const int MaxListed = 20;

    public FolderFormatException(string root, IReadOnlyList<FolderProblem> problems)
        : base(Format(root, problems))
    {
        Root = root;
        Problems = problems;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    public IReadOnlyList<FolderProblem> Problems { get; }

    private static string Format(string root, IReadOnlyList<FolderProblem> problems)
    {
        var head = problems.Count == 1
            ? $"Folder dataset '{root}': {problems[0]}"
            : $"Folder dataset '{root}' has {problems.Count} problems:" + Environment.NewLine + "  " +
              string.Join(Environment.NewLine + "  ", problems.Take(MaxListed));
        return problems.Count > MaxListed ? head + Environment.NewLine + $"  … and {problems.Count - MaxListed} more" : head;
    }
}
