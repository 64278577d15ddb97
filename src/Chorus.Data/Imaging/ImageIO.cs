using System.Runtime.InteropServices;
using Chorus.IO;
using SkiaSharp;

namespace Chorus.Data.Imaging;

/// <summary>
/// Reads JPEG/PNG files into <see cref="RgbImage"/>/<see cref="GrayImage"/> and writes PNGs, through SkiaSharp.
/// Decoding applies no colour management (pixel values are taken as stored) and ignores EXIF orientation.
/// </summary>
public static class ImageIO
{
    /// <summary>
    /// Decodes an image as RGB. Grayscale sources are replicated into the three channels; the alpha channel
    /// of RGBA sources is dropped (colour values are taken unpremultiplied, not composited on a background).
    /// </summary>
    /// <exception cref="ImageDataException">The file is missing, unreadable, not an image, corrupt or truncated.</exception>
    public static RgbImage LoadRgb(string path)
    {
        var (w, h, rgba) = DecodeRgba(path);
        var rgb = new byte[w * h * 3];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgb[i] = rgba[j];
            rgb[i + 1] = rgba[j + 1];
            rgb[i + 2] = rgba[j + 2];
        }

        return new RgbImage(w, h, rgb);
    }

    /// <summary>Decodes an image as 8-bit gray: the stored value of a grayscale file, else the maximum of R, G and B.</summary>
    /// <exception cref="ImageDataException">The file is missing, unreadable, not an image, corrupt or truncated.</exception>
    public static GrayImage LoadGray(string path)
    {
        var (w, h, rgba) = DecodeRgba(path);
        var gray = new byte[w * h];
        for (int i = 0, j = 0; i < gray.Length; i++, j += 4)
        {
            gray[i] = Math.Max(rgba[j], Math.Max(rgba[j + 1], rgba[j + 2]));
        }

        return new GrayImage(w, h, gray);
    }

    /// <summary>Decodes a mask: any non-zero value is inside. The result holds only 0 (outside) and 255 (inside).</summary>
    /// <exception cref="ImageDataException">The file is missing, unreadable, not an image, corrupt or truncated.</exception>
    public static GrayImage LoadMask(string path)
    {
        var gray = LoadGray(path);
        var p = gray.Pixels;
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = p[i] != 0 ? (byte)255 : (byte)0;
        }

        return gray;
    }

    /// <summary>Reads only the width and height from the file's header.</summary>
    /// <exception cref="ImageDataException">The file is missing, unreadable or not an image.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var codec = OpenCodec(path, out _);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Writes an 8-bit RGB PNG atomically (creating the folder).</summary>
    public static void SavePng(string path, RgbImage image) => AtomicFile.WriteAllBytes(path, EncodePng(image));

    /// <summary>Writes an 8-bit grayscale PNG atomically (creating the folder).</summary>
    public static void SavePng(string path, GrayImage image) => AtomicFile.WriteAllBytes(path, EncodePng(image));

    /// <summary>Encodes an RGB image as PNG bytes; the same pixels always give the same bytes.</summary>
    public static byte[] EncodePng(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgba = new byte[image.Width * image.Height * 4];
        var src = image.Pixels;
        for (int i = 0, j = 0; i < src.Length; i += 3, j += 4)
        {
            rgba[j] = src[i];
            rgba[j + 1] = src[i + 1];
            rgba[j + 2] = src[i + 2];
            rgba[j + 3] = 255;
        }

        return Encode(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque), rgba, image.Width * 4, SKPngEncoderFilterFlags.AllFilters);
    }

    /// <summary>Encodes a gray image as PNG bytes; the same pixels always give the same bytes.</summary>
    public static byte[] EncodePng(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        // Masks are mostly flat runs: row filters gain little and cost time.
        return Encode(new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque), image.Pixels, image.Width, SKPngEncoderFilterFlags.NoFilters);
    }

    private static byte[] Encode(SKImageInfo info, byte[] pixels, int rowBytes, SKPngEncoderFilterFlags filters)
    {
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), rowBytes);
            using var data = pixmap.Encode(new SKPngEncoderOptions(filters, 6))
                ?? throw new InvalidOperationException($"SkiaSharp could not encode a {info.Width}×{info.Height} {info.ColorType} PNG.");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    private static (int Width, int Height, byte[] Rgba) DecodeRgba(string path)
    {
        using var codec = OpenCodec(path, out var data);
        using (data)
        {
            var w = codec.Info.Width;
            var h = codec.Info.Height;
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var rgba = new byte[w * h * 4];
            var result = codec.GetPixels(info, rgba);
            if (result != SKCodecResult.Success)
            {
                var what = result == SKCodecResult.IncompleteInput ? "truncated image data" : "corrupt image data";
                throw new ImageDataException(path, $"{what} ({codec.EncodedFormat} {w}×{h}, decoder result {result})");
            }

            return (w, h, rgba);
        }
    }

    private static SKCodec OpenCodec(string path, out SKData data)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDataException(path, "file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDataException(path, "cannot read file: " + e.Message, e);
        }

        if (bytes.Length == 0)
        {
            throw new ImageDataException(path, "file is empty");
        }

        data = SKData.CreateCopy(bytes);
        var codec = SKCodec.Create(data);
        if (codec is null)
        {
            data.Dispose();
            throw new ImageDataException(path, $"not a decodable image (unknown format or corrupt header, {bytes.Length} bytes)");
        }

        if (codec.Info.Width < 1 || codec.Info.Height < 1)
        {
            var size = $"{codec.Info.Width}×{codec.Info.Height}";
            codec.Dispose();
            data.Dispose();
            throw new ImageDataException(path, $"invalid image size {size}");
        }

        return codec;
    }
}
