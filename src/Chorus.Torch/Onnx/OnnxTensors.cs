using System.Runtime.InteropServices;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Onnx;

/// <summary>ONNX element types and <see cref="TensorProto"/> → TorchSharp tensor conversion.</summary>
internal static class OnnxTensors
{
    // TensorProto.DataType values (onnx.proto).
    public const int Float = 1;
    public const int UInt8 = 2;
    public const int Int8 = 3;
    public const int Int16 = 5;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Bool = 9;
    public const int Float16 = 10;
    public const int Double = 11;

    /// <summary>The dtype Chorus uses for an ONNX element type: all floating types become float32.</summary>
    public static ScalarType ToScalarType(long onnxType, string context) => onnxType switch
    {
        Float or Float16 or Double => ScalarType.Float32,
        UInt8 => ScalarType.Byte,
        Int8 => ScalarType.Int8,
        Int16 => ScalarType.Int16,
        Int32 => ScalarType.Int32,
        Int64 => ScalarType.Int64,
        Bool => ScalarType.Bool,
        _ => throw new OnnxImportException($"{context}: ONNX element type {onnxType} is not supported (float, float16, double, int8/16/32/64, uint8 and bool are)."),
    };

    /// <summary>A new CPU tensor holding the data of <paramref name="proto"/>; the caller owns it.</summary>
    public static Tensor ToTensor(TensorProto proto, string context)
    {
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new OnnxImportException($"{context}: tensor '{proto.Name}' uses external data, which is not supported.");
        }

        var dims = proto.Dims.ToArray();
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0 || d > int.MaxValue)
            {
                throw new OnnxImportException($"{context}: tensor '{proto.Name}' has invalid dimension {d}.");
            }

            count = checked(count * d);
            if (count > int.MaxValue)
            {
                throw new OnnxImportException($"{context}: tensor '{proto.Name}' is too large ({string.Join("x", dims)}).");
            }
        }

        var n = (int)count;
        var raw = proto.RawData.Span;
        var type = proto.DataType;
        return type switch
        {
            Float => torch.tensor(Values<float>(raw, proto.FloatData, n, 4, proto, context), dims),
            Double => torch.tensor(Values<double>(raw, proto.DoubleData, n, 8, proto, context).Select(v => (float)v).ToArray(), dims),
            Float16 => torch.tensor(Values(raw, n, 2, proto, context, proto.Int32Data, v => (Half)BitConverter.Int16BitsToHalf((short)v))
                .Select(h => (float)h).ToArray(), dims),
            Int64 => torch.tensor(Values<long>(raw, proto.Int64Data, n, 8, proto, context), dims),
            Int32 => torch.tensor(Values<int>(raw, proto.Int32Data, n, 4, proto, context), dims),
            Int16 => torch.tensor(Values(raw, n, 2, proto, context, proto.Int32Data, v => (short)v), dims),
            Int8 => torch.tensor(Values(raw, n, 1, proto, context, proto.Int32Data, v => (sbyte)v), dims),
            UInt8 => torch.tensor(Values(raw, n, 1, proto, context, proto.Int32Data, v => (byte)v), dims),
            Bool => torch.tensor(Values(raw, n, 1, proto, context, proto.Int32Data, v => (byte)v).Select(b => b != 0).ToArray(), dims),
            _ => throw new OnnxImportException($"{context}: tensor '{proto.Name}' has unsupported element type {type}."),
        };
    }

    private static T[] Values<T>(ReadOnlySpan<byte> raw, IList<T> typed, int n, int size, TensorProto proto, string context)
        where T : unmanaged
    {
        if (raw.Length > 0)
        {
            CheckLength(raw.Length, n * size, proto, context);
            return MemoryMarshal.Cast<byte, T>(raw).ToArray();
        }

        CheckLength(typed.Count, n, proto, context);
        return typed.ToArray();
    }

    private static T[] Values<T>(ReadOnlySpan<byte> raw, int n, int size, TensorProto proto, string context, IList<int> int32Data, Func<int, T> fromInt32)
        where T : unmanaged
    {
        if (raw.Length > 0)
        {
            CheckLength(raw.Length, n * size, proto, context);
            return MemoryMarshal.Cast<byte, T>(raw).ToArray();
        }

        CheckLength(int32Data.Count, n, proto, context);
        return int32Data.Select(fromInt32).ToArray();
    }

    private static void CheckLength(int actual, int expected, TensorProto proto, string context)
    {
        if (actual != expected)
        {
            throw new OnnxImportException(
                $"{context}: tensor '{proto.Name}' of shape [{string.Join(",", proto.Dims)}] holds {actual} values or bytes where {expected} were expected.");
        }
    }
}
