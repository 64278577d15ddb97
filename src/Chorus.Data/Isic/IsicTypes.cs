namespace Chorus.Data.Isic;

/// <summary>The split of an ISIC 2018 image: from the official folder it was found in (flat folders count as <see cref="Training"/>).</summary>
public enum IsicSplit
{
    Training,
    Validation,
    Test,
    All,
}

/// <summary>One image of an <see cref="IsicDataset"/> with its lesion mask.</summary>
/// <param name="Id">The ISIC id without prefix (<c>0000123</c> for <c>ISIC_0000123.jpg</c>).</param>
/// <param name="NumericId">The id as a number when it is all digits, else the 1-based position in <see cref="IsicDataset.Images"/>.</param>
/// <param name="ImagePath">Absolute path of the JPEG.</param>
/// <param name="MaskPath">Absolute path of <c>ISIC_&lt;id&gt;_segmentation.png</c>.</param>
/// <param name="Split">Which official folder the image came from.</param>
/// <param name="Width">Image width from the header.</param>
/// <param name="Height">Image height from the header.</param>
/// <param name="ClassIndex">0-based index into <see cref="IsicDataset.Classes"/>, or -1 without labels.</param>
public sealed record IsicImage(
    string Id,
    int NumericId,
    string ImagePath,
    string MaskPath,
    IsicSplit Split,
    int Width,
    int Height,
    int ClassIndex);

/// <summary>Options of <see cref="IsicDataset.Load"/>.</summary>
/// <param name="LabelsCsv">Labels file (absolute or relative to the root). Default null: the only <c>*.csv</c> at the root, if any.</param>
/// <param name="Lenient">Keep going on problems: problem images are left out and listed in <see cref="IsicDataset.Problems"/>
/// instead of throwing <see cref="IsicFormatException"/>. Default false.</param>
/// <param name="CheckPixels">Also decode every image and mask in parallel: corrupt or truncated files and masks that are not
/// 0/255 become problems naming the file (otherwise <see cref="IsicDataset.LoadSplit"/> finds them). Default false: headers only.</param>
public sealed record IsicLoadOptions(string? LabelsCsv = null, bool Lenient = false, bool CheckPixels = false);

/// <summary>One problem found while reading an ISIC dataset: file (relative to the root), 1-based line (0 = whole file), message.</summary>
public sealed record IsicProblem(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>An ISIC 2018 folder that is incomplete or malformed. <see cref="Problems"/> lists every problem found.</summary>
public sealed class IsicFormatException : Exception
{
    /// <summary>At most this many problems are listed in <see cref="Exception.Message"/>.</summary>
    public const int MaxListed = 20;

    public IsicFormatException(string root, IReadOnlyList<IsicProblem> problems)
        : base(Format(root, problems))
    {
        Root = root;
        Problems = problems;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    public IReadOnlyList<IsicProblem> Problems { get; }

    private static string Format(string root, IReadOnlyList<IsicProblem> problems)
    {
        var head = problems.Count == 1
            ? $"ISIC dataset '{root}': {problems[0]}"
            : $"ISIC dataset '{root}' has {problems.Count} problems:" + Environment.NewLine + "  " +
              string.Join(Environment.NewLine + "  ", problems.Take(MaxListed));
        return problems.Count > MaxListed ? head + Environment.NewLine + $"  … and {problems.Count - MaxListed} more" : head;
    }
}
