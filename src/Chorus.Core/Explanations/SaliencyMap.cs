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

    /// <summary>
    /// The maps of a stack [n, h, w] stored row-major in <paramref name="data"/> (as the maps files of a run hold them):
    /// one copy per map, so the stack may be reused.
    /// </summary>
    public static SaliencyMap[] Split(ReadOnlySpan<float> data, int n, int h, int w)
    {
        if (data.Length != (long)n * h * w)
        {
            throw new ArgumentException($"A stack of {n} maps of {h}×{w} needs {(long)n * h * w} values, got {data.Length}.", nameof(data));
        }

        var maps = new SaliencyMap[n];
        for (var i = 0; i < n; i++)
        {
            maps[i] = new SaliencyMap(h, w, data.Slice(i * h * w, h * w).ToArray());
        }

        return maps;
    }

    /// <summary>Reads a maps file ([n, h, w] float32 .npy) and splits it; a file of another shape is an error naming it.</summary>
    /// <exception cref="ChorusException">The file's shape is not [n, h, w] (or it is not a float32 .npy).</exception>
    public static SaliencyMap[] LoadStack(string path, int n, int h, int w)
    {
        var arr = Chorus.IO.NpyArray.Load(path);
        if (!arr.Shape.SequenceEqual(new long[] { n, h, w }) || arr.DType != Chorus.IO.NpyDType.Float32)
        {
            throw new ChorusException($"{path} holds {arr.DType} maps of shape [{string.Join(",", arr.Shape)}], this run needs float32 [{n},{h},{w}]; delete the maps folder to recompute.");
        }

        return Split(arr.Floats, n, h, w);
    }
}
