namespace Chorus.Explanations;

/// <summary>
/// One explanation reduced to a single H×W relevance map, row-major (<c>Values[y * Width + x]</c>).
/// The only form in which explanations leave Chorus.Torch: aggregation, metrics and reports work on these.
/// </summary>
public sealed record SaliencyMap
{
    public SaliencyMap(int height, int width, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != height * width)
        {
            throw new ArgumentException($"A {height}×{width} map needs {height * width} values, got {values.Length}.", nameof(values));
        }

        Height = height;
        Width = width;
        Values = values;
    }

    public int Height { get; }

    public int Width { get; }

    public float[] Values { get; }

    public float this[int y, int x] => Values[(y * Width) + x];
}
