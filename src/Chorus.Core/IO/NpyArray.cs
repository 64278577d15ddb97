using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Chorus.IO;

/// <summary>Element type of a <see cref="NpyArray"/>.</summary>
public enum NpyDType
{
    /// <summary>Little-endian float32 (<c>&lt;f4</c>).</summary>
    Float32,

    /// <summary>Little-endian int64 (<c>&lt;i8</c>).</summary>
    Int64,
}

/// <summary>
/// A NumPy <c>.npy</c> array (format 1.0–3.0), C order, little-endian float32 or int64 (int32 is read as int64): what Captum users
/// exchange with Chorus. Reading validates the header and the data length and names the file on failure.
/// </summary>
public sealed class NpyArray
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private NpyArray(long[] shape, NpyDType dtype, float[]? floats, long[]? longs)
    {
        Shape = shape;
        DType = dtype;
        _floats = floats;
        _longs = longs;
    }

    private readonly float[]? _floats;
    private readonly long[]? _longs;

    /// <summary>Dimensions, outermost first.</summary>
    public long[] Shape { get; }

    public NpyDType DType { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public long Length => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The float32 data in C order.</summary>
    /// <exception cref="InvalidOperationException">The array holds int64.</exception>
    public float[] Floats => _floats ?? throw new InvalidOperationException($"The array holds {DType}, not float32.");

    /// <summary>The int64 data in C order.</summary>
    /// <exception cref="InvalidOperationException">The array holds float32.</exception>
    public long[] Longs => _longs ?? throw new InvalidOperationException($"The array holds {DType}, not int64.");

    public static NpyArray FromFloats(float[] data, params long[] shape)
    {
        CheckLength(data.Length, shape);
        return new NpyArray((long[])shape.Clone(), NpyDType.Float32, data, null);
    }

    public static NpyArray FromLongs(long[] data, params long[] shape)
    {
        CheckLength(data.Length, shape);
        return new NpyArray((long[])shape.Clone(), NpyDType.Int64, null, data);
    }

    /// <summary>Reads a .npy file.</summary>
    /// <exception cref="InvalidDataException">Not a .npy file, an unsupported dtype or order, or truncated data; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static NpyArray Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found.", path);
        }

        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads a .npy array from a stream.</summary>
    public static NpyArray Read(Stream stream)
    {
        var prefix = new byte[8];
        ReadExactly(stream, prefix, "header");
        if (!prefix.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a .npy file (bad magic bytes).");
        }

        int major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            var len = new byte[2];
            ReadExactly(stream, len, "header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            var len = new byte[4];
            ReadExactly(stream, len, "header length");
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(len));
        }
        else
        {
            throw new InvalidDataException($"unsupported .npy format version {major}.");
        }

        if (headerLength is <= 0 or > 1 << 20)
        {
            throw new InvalidDataException($"implausible header length {headerLength}.");
        }

        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, "header");
        var header = Encoding.Latin1.GetString(headerBytes);
        var descr = HeaderValue(header, "descr").Trim().Trim('\'', '"');
        var fortran = HeaderValue(header, "fortran_order").Trim();
        var shapeText = HeaderValue(header, "shape").Trim();
        if (fortran != "False")
        {
            throw new InvalidDataException("Fortran-order arrays are not supported; save with C order.");
        }

        var shape = ParseShape(shapeText);
        var count = shape.Aggregate(1L, (a, b) => a * b);
        switch (descr)
        {
            case "<f4":
            {
                var bytes = new byte[checked(count * 4)];
                ReadExactly(stream, bytes, $"data ({count} float32 values)");
                var data = new float[count];
                Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
                if (!BitConverter.IsLittleEndian)
                {
                    throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
                }

                return new NpyArray(shape, NpyDType.Float32, data, null);
            }

            case "<i8":
            {
                var bytes = new byte[checked(count * 8)];
                ReadExactly(stream, bytes, $"data ({count} int64 values)");
                var data = new long[count];
                Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
                return new NpyArray(shape, NpyDType.Int64, null, data);
            }

            case "<i4":
            {
                // int32 (NumPy's default integer on some platforms) is widened to int64.
                var bytes = new byte[checked(count * 4)];
                ReadExactly(stream, bytes, $"data ({count} int32 values)");
                var data = new long[count];
                for (var i = 0; i < count; i++)
                {
                    data[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(checked((int)(i * 4))));
                }

                return new NpyArray(shape, NpyDType.Int64, null, data);
            }

            default:
                throw new InvalidDataException($"unsupported dtype '{descr}' (Chorus reads '<f4' float32, '<i8' int64 and '<i4' int32, read as int64).");
        }
    }

    /// <summary>Writes the array as .npy format 1.0, atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        AtomicFile.Write(path, Write);
    }

    /// <summary>Writes the array as .npy format 1.0 to a stream.</summary>
    public void Write(Stream stream)
    {
        var descr = DType == NpyDType.Float32 ? "<f4" : "<i8";
        var shape = Shape.Length switch
        {
            0 => "()",
            1 => $"({Shape[0]},)",
            _ => "(" + string.Join(", ", Shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        var total = Magic.Length + 2 + 2 + dict.Length + 1;
        var pad = (64 - (total % 64)) % 64;
        var header = dict + new string(' ', pad) + "\n";
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.Latin1.GetBytes(header));
        if (DType == NpyDType.Float32)
        {
            var bytes = new byte[_floats!.Length * 4];
            Buffer.BlockCopy(_floats, 0, bytes, 0, bytes.Length);
            stream.Write(bytes);
        }
        else
        {
            var bytes = new byte[_longs!.Length * 8];
            Buffer.BlockCopy(_longs, 0, bytes, 0, bytes.Length);
            stream.Write(bytes);
        }
    }

    private static void CheckLength(int length, long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Any(d => d < 0) || count != length)
        {
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] needs {count} values, got {length}.", nameof(shape));
        }
    }

    private static void ReadExactly(Stream stream, byte[] buffer, string what)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0)
            {
                throw new InvalidDataException($"truncated: the {what} needs {buffer.Length} bytes, only {read} present.");
            }

            read += n;
        }
    }

    private static string HeaderValue(string header, string key)
    {
        var k = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (k < 0)
        {
            throw new InvalidDataException($"header has no '{key}': {header.Trim()}");
        }

        var colon = header.IndexOf(':', k);
        var start = colon + 1;
        if (key == "shape")
        {
            var open = header.IndexOf('(', start);
            var close = header.IndexOf(')', open + 1);
            if (open < 0 || close < 0)
            {
                throw new InvalidDataException($"malformed shape in header: {header.Trim()}");
            }

            return header[open..(close + 1)];
        }

        var end = header.IndexOf(',', start);
        return end < 0 ? header[start..].TrimEnd('}', ' ', '\n') : header[start..end];
    }

    private static long[] ParseShape(string text)
    {
        var inner = text.Trim('(', ')', ' ');
        if (inner.Length == 0)
        {
            return [];
        }

        var parts = inner.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw new InvalidDataException($"malformed shape '{text}'.");
            }
        }

        return shape;
    }
}
