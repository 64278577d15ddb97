namespace Chorus.Data.Imaging;

/// <summary>An image or mask file that is missing, unreadable, corrupt or truncated.</summary>
public sealed class ImageDataException : Exception
{
    public ImageDataException(string path, string problem, Exception? inner = null)
        : base($"Image '{path}': {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }
}
