using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header of
/// name → dtype, shape, data_offsets, then raw little-endian data), the format PyTorch users load with
/// <c>safetensors.torch.load_file</c>. Tensor names are the module's <c>state_dict</c> keys.
/// </summary>
public static class SafeTensors
{
    private const long MaxHeader = 100L * 1024 * 1024;

    /// <summary>Writes the tensors (float32, float64, int64, int32, bfloat16, float16, uint8, bool) atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                meta[k] = v;
            }

            header["__metadata__"] = meta;
        }

        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var bytes = ToBytes(tensor);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(tensor.dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var pad = (8 - (json.Length % 8)) % 8;
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        headerBytes.AsSpan(json.Length).Fill((byte)' ');
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            s.Write(len);
            s.Write(headerBytes);
            foreach (var b in blobs)
            {
                s.Write(b);
            }
        });
    }

    /// <summary>Reads every tensor of a safetensors file (CPU tensors; the caller owns them) and its metadata.</summary>
    /// <exception cref="InvalidDataException">Truncated or malformed file; the message names the file.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: checkpoint not found.", path);
        }

        var data = File.ReadAllBytes(path);
        try
        {
            return Parse(data);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"{path}: not a valid safetensors checkpoint ({e.Message}).", e);
        }
    }

    private static (Dictionary<string, Tensor>, Dictionary<string, string>) Parse(byte[] data)
    {
        if (data.Length < 8)
        {
            throw new InvalidDataException("truncated: shorter than the 8-byte header length");
        }

        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (headerLength <= 0 || headerLength > MaxHeader || 8 + headerLength > data.Length)
        {
            throw new InvalidDataException($"truncated or corrupt: header length {headerLength} does not fit a {data.Length}-byte file");
        }

        var header = JsonNode.Parse(data.AsSpan(8, (int)headerLength))?.AsObject()
            ?? throw new InvalidDataException("empty header");
        var start = 8 + headerLength;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (k, v) in node!.AsObject())
                    {
                        metadata[k] = v!.GetValue<string>();
                    }

                    continue;
                }

                var obj = node!.AsObject();
                var dtype = obj["dtype"]!.GetValue<string>();
                var shape = obj["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
                var offsets = obj["data_offsets"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || start + offsets[1] > data.Length)
                {
                    throw new InvalidDataException($"truncated: tensor '{name}' needs bytes {offsets.ElementAtOrDefault(0)}..{offsets.ElementAtOrDefault(1)} after the header, the file has {data.Length - start}");
                }

                var (scalar, size) = ParseDType(dtype);
                var count = shape.Aggregate(1L, (a, b) => a * b);
                if (count * size != offsets[1] - offsets[0])
                {
                    throw new InvalidDataException($"tensor '{name}': shape [{string.Join(",", shape)}] of {dtype} needs {count * size} bytes, the offsets give {offsets[1] - offsets[0]}");
                }

                var slice = data.AsSpan((int)(start + offsets[0]), (int)(offsets[1] - offsets[0])).ToArray();
                var t = torch.empty(shape, scalar);
                if (slice.Length > 0)
                {
                    t.bytes = slice;
                }

                tensors[name] = t;
            }
        }
        catch
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }

            throw;
        }

        return (tensors, metadata);
    }

    private static byte[] ToBytes(Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        return cpu.bytes.ToArray();
    }

    private static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"safetensors: dtype {t} is not supported."),
    };

    private static (ScalarType Type, int Size) ParseDType(string name) => name switch
    {
        "F32" => (ScalarType.Float32, 4),
        "F64" => (ScalarType.Float64, 8),
        "F16" => (ScalarType.Float16, 2),
        "BF16" => (ScalarType.BFloat16, 2),
        "I64" => (ScalarType.Int64, 8),
        "I32" => (ScalarType.Int32, 4),
        "I16" => (ScalarType.Int16, 2),
        "I8" => (ScalarType.Int8, 1),
        "U8" => (ScalarType.Byte, 1),
        "BOOL" => (ScalarType.Bool, 1),
        _ => throw new InvalidDataException($"unsupported dtype '{name}'"),
    };
}
