namespace Chorus.Data.Imaging;

/// <summary>
/// An 8-bit single-channel image, row-major: <c>Pixels[(y * Width) + x]</c>. Also the type of binary masks,
/// where any non-zero value means "inside" (<see cref="ImageIO.LoadMask"/> returns only 0 and 255).
/// </summary>
public sealed class GrayImage
{
    /// <summary>Creates an image over <paramref name="pixels"/> (not copied), or an all-zero one when it is null.</summary>
    public GrayImage(int width, int height, byte[]? pixels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        pixels ??= new byte[checked(width * height)];
        if (pixels.Length != width * height)
        {
            throw new ArgumentException($"A {width}×{height} gray image needs {width * height} bytes, got {pixels.Length}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major bytes, length <c>Width * Height</c>.</summary>
    public byte[] Pixels { get; }

    public byte this[int x, int y] => Pixels[(y * Width) + x];

    /// <summary>Whether (<paramref name="x"/>, <paramref name="y"/>) is inside the image and non-zero.</summary>
    public bool IsInside(int x, int y) => x >= 0 && y >= 0 && x < Width && y < Height && Pixels[(y * Width) + x] != 0;

    /// <summary>The number of non-zero pixels.</summary>
    public int CountNonZero()
    {
        var n = 0;
        foreach (var p in Pixels)
        {
            if (p != 0)
            {
                n++;
            }
        }

        return n;
    }
}
