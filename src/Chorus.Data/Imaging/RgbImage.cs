namespace Chorus.Data.Imaging;

/// <summary>An 8-bit RGB image, interleaved and row-major: <c>Pixels[((y * Width) + x) * 3 + c]</c>.</summary>
public sealed class RgbImage
{
    /// <summary>Creates an image over <paramref name="pixels"/> (not copied), or a black one when it is null.</summary>
    public RgbImage(int width, int height, byte[]? pixels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        pixels ??= new byte[checked(width * height * 3)];
        if (pixels.Length != width * height * 3)
        {
            throw new ArgumentException($"A {width}×{height} RGB image needs {width * height * 3} bytes, got {pixels.Length}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Interleaved RGB bytes, length <c>Width * Height * 3</c>.</summary>
    public byte[] Pixels { get; }

    /// <summary>The colour of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            var i = ((y * Width) + x) * 3;
            return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
    }
}
