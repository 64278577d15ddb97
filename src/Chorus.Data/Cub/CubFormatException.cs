namespace Chorus.Data.Cub;

/// <summary>One problem found while reading a CUB-style dataset: file (relative to the root), 1-based line (0 = whole file), message.</summary>
public sealed record CubProblem(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>A CUB-style dataset folder that is incomplete or malformed. <see cref="Problems"/> lists every problem found.</summary>
public sealed class CubFormatException : Exception
{
    /// <summary>At most this many problems are listed in <see cref="Exception.Message"/>.</summary>
    public const int MaxListed = 20;

    public CubFormatException(string root, IReadOnlyList<CubProblem> problems)
        : base(Format(root, problems))
    {
        Root = root;
        Problems = problems;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    public IReadOnlyList<CubProblem> Problems { get; }

    private static string Format(string root, IReadOnlyList<CubProblem> problems)
    {
        var head = problems.Count == 1
            ? $"CUB dataset '{root}': {problems[0]}"
            : $"CUB dataset '{root}' has {problems.Count} problems:" + Environment.NewLine + "  " +
              string.Join(Environment.NewLine + "  ", problems.Take(MaxListed));
        return problems.Count > MaxListed ? head + Environment.NewLine + $"  … and {problems.Count - MaxListed} more" : head;
    }
}
