using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Checkpoints;

/// <summary>
/// Reads a PyTorch zip checkpoint (<c>torch.save(model.state_dict(), "x.pt")</c>: <c>ROOT/data.pkl</c> plus one
/// <c>ROOT/data/KEY</c> entry per storage) without executing it. The pickle is interpreted by a restricted
/// unpickler that knows only what a state_dict needs and refuses everything else, naming what it refused.
/// </summary>
/// <remarks>
/// Accepted globals: <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>,
/// <c>torch._utils._rebuild_parameter</c> and the typed storages <c>torch.FloatStorage</c>, <c>DoubleStorage</c>,
/// <c>HalfStorage</c>, <c>BFloat16Storage</c>, <c>LongStorage</c>, <c>IntStorage</c>, <c>ShortStorage</c>,
/// <c>CharStorage</c>, <c>ByteStorage</c>, <c>BoolStorage</c> (only inside a <c>('storage', …)</c> persistent id).
/// Accepted opcodes: those of protocols 2–4 that build tuples, lists, dicts, strings, numbers, booleans, None,
/// the memo, GLOBAL/STACK_GLOBAL (checked against the list), REDUCE (of an accepted callable), BUILD (only the
/// <c>_metadata</c> state of an OrderedDict, ignored) and BINPERSID. Refused: any other global (e.g.
/// <c>os.system</c>, <c>builtins.eval</c>), INST/OBJ/NEWOBJ, extension codes, text persistent ids.
/// The top-level object must be a dict of string → tensor. Little-endian files only.
/// </remarks>
public static class PtCheckpoint
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>Reads the state_dict in <paramref name="path"/>; the caller owns the tensors.</summary>
    /// <exception cref="InvalidDataException">Not a PyTorch zip checkpoint, malformed, or needs a refused global/opcode (the message names it).</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return Load(zip);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads the state_dict from an opened zip checkpoint; the caller owns the tensors.</summary>
    public static Dictionary<string, Tensor> Load(ZipArchive zip)
    {
        ArgumentNullException.ThrowIfNull(zip);
        var pkl = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pkl.Count != 1)
        {
            throw new InvalidDataException($"not a PyTorch zip checkpoint: expected one 'ROOT/data.pkl' entry, found {pkl.Count}");
        }

        var root = pkl[0].FullName[..^"data.pkl".Length];
        var byteorder = zip.GetEntry(root + "byteorder");
        if (byteorder is not null)
        {
            using var r = new StreamReader(byteorder.Open());
            var order = r.ReadToEnd().Trim();
            if (order != "little")
            {
                throw new InvalidDataException($"byte order '{order}' is not supported (little-endian only)");
            }
        }

        byte[] pickle;
        using (var s = pkl[0].Open())
        using (var m = new MemoryStream())
        {
            s.CopyTo(m);
            pickle = m.ToArray();
        }

        using var unpickler = new Unpickler(pickle, key =>
        {
            var entry = zip.GetEntry(root + "data/" + key) ?? throw new InvalidDataException($"storage '{key}' has no entry '{root}data/{key}'");
            using var s = entry.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
        return unpickler.LoadStateDict();
    }

    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    private sealed record Storage(string Key, ScalarType Type, int ElementSize, long Count);

    private sealed class OrderedDictionary : Dictionary<object, object?>
    {
    }

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    /// <summary>The restricted unpickler. Owns the storages it reads until they are copied into the result.</summary>
    private sealed class Unpickler(byte[] data, Func<string, byte[]> readStorage) : IDisposable
    {
        private readonly Stack<object?> _stack = new();
        private readonly Dictionary<long, object?> _memo = [];
        private readonly Dictionary<string, Tensor> _storages = new(StringComparer.Ordinal);
        private readonly List<Tensor> _made = [];
        private int _pos;

        public Dictionary<string, Tensor> LoadStateDict()
        {
            var result = Run();
            if (result is not Dictionary<object, object?> dict)
            {
                throw new InvalidDataException($"the pickle holds a {Describe(result)}, not a state_dict (a dict of name → tensor)");
            }

            var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (k, v) in dict)
            {
                if (k is not string name || v is not Tensor t)
                {
                    throw new InvalidDataException($"entry '{k}' is a {Describe(v)}, not a tensor: only flat state_dicts are read");
                }

                state[name] = t;
            }

            _made.RemoveAll(t => state.ContainsValue(t));
            return state;
        }

        public void Dispose()
        {
            foreach (var t in _storages.Values.Concat(_made))
            {
                t.Dispose();
            }
        }

        private static string Describe(object? o) => o switch
        {
            null => "None",
            Global g => $"global {g}",
            Tensor => "tensor",
            _ => o.GetType().Name,
        };

        private object? Run()
        {
            while (true)
            {
                var op = ReadByte();
                switch (op)
                {
                    case 0x80: ReadByte(); break;                                  // PROTO
                    case 0x95: Read(8); break;                                     // FRAME
                    case (byte)'.': return Pop();                                  // STOP
                    case (byte)'(': _stack.Push(Mark.Instance); break;            // MARK
                    case (byte)'}': _stack.Push(new Dictionary<object, object?>()); break;
                    case (byte)']': _stack.Push(new List<object?>()); break;
                    case (byte)')': _stack.Push(Array.Empty<object?>()); break;
                    case (byte)'t': _stack.Push(PopToMark().ToArray()); break;    // TUPLE
                    case 0x85: _stack.Push(new[] { Pop() }); break;
                    case 0x86: { var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Push(new[] { a, b, c }); break; }
                    case (byte)'X': _stack.Push(Utf8(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Read(4))))); break;
                    case 0x8c: _stack.Push(Utf8(ReadByte())); break;              // SHORT_BINUNICODE
                    case (byte)'J': _stack.Push((long)BinaryPrimitives.ReadInt32LittleEndian(Read(4))); break;
                    case (byte)'K': _stack.Push((long)ReadByte()); break;
                    case (byte)'M': _stack.Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Read(2))); break;
                    case 0x8a: _stack.Push(Long1()); break;
                    case (byte)'G': _stack.Push(BinaryPrimitives.ReadDoubleBigEndian(Read(8))); break;
                    case (byte)'N': _stack.Push(null); break;
                    case 0x88: _stack.Push(true); break;
                    case 0x89: _stack.Push(false); break;
                    case (byte)'q': _memo[ReadByte()] = Peek(); break;            // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Read(4))] = Peek(); break;
                    case 0x94: _memo[_memo.Count] = Peek(); break;                // MEMOIZE
                    case (byte)'h': _stack.Push(Memo(ReadByte())); break;         // BINGET
                    case (byte)'j': _stack.Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Read(4)))); break;
                    case (byte)'c': _stack.Push(CheckGlobal(Line(), Line())); break;
                    case 0x93: { var name = Pop() as string; var module = Pop() as string; _stack.Push(CheckGlobal(module ?? "?", name ?? "?")); break; }
                    case (byte)'R': { var args = Pop(); var f = Pop(); _stack.Push(Reduce(f, args)); break; }
                    case (byte)'b': Build(Pop()); break;
                    case (byte)'s': { var v = Pop(); var k = Pop(); Dict(Peek())[Key(k)] = v; break; }
                    case (byte)'u':
                        {
                            var items = PopToMark();
                            var d = Dict(Peek());
                            for (var i = 0; i + 1 < items.Count; i += 2)
                            {
                                d[Key(items[i])] = items[i + 1];
                            }

                            break;
                        }

                    case (byte)'a': { var v = Pop(); List(Peek()).Add(v); break; }
                    case (byte)'e': { var items = PopToMark(); List(Peek()).AddRange(items); break; }
                    case (byte)'Q': _stack.Push(PersistentLoad(Pop())); break;
                    default:
                        throw new InvalidDataException($"refused pickle opcode 0x{op:x2} ('{(op is >= 32 and < 127 ? (char)op : '?')}') at byte {_pos - 1}: not needed by a state_dict");
                }
            }
        }

        private static Global CheckGlobal(string module, string name)
        {
            var ok = (module, name) switch
            {
                ("collections", "OrderedDict") => true,
                ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_parameter") => true,
                ("torch", _) => StorageTypes.ContainsKey(name),
                _ => false,
            };
            return ok ? new Global(module, name)
                : throw new InvalidDataException($"refused pickle global '{module}.{name}': a state_dict needs only OrderedDict, torch._utils._rebuild_tensor_v2/_rebuild_parameter and torch.*Storage");
        }

        private object? Reduce(object? f, object? args)
        {
            if (f is not Global g || args is not object?[] a)
            {
                throw new InvalidDataException($"refused REDUCE of {Describe(f)}");
            }

            switch (g.Name)
            {
                case "OrderedDict" when a.Length == 0:
                    return new OrderedDictionary();
                case "_rebuild_tensor_v2" when a.Length is >= 6 and <= 7:
                    return RebuildTensor(a);
                case "_rebuild_parameter" when a.Length == 3 && a[0] is Tensor t:
                    return t;
                default:
                    throw new InvalidDataException($"refused call {g}({a.Length} arguments)");
            }
        }

        private Tensor RebuildTensor(object?[] a)
        {
            if (a[0] is not Storage storage || a[1] is not long offset || a[2] is not object?[] sizeObj || a[3] is not object?[] strideObj)
            {
                throw new InvalidDataException("malformed _rebuild_tensor_v2 arguments");
            }

            var size = sizeObj.Select(s => s is long l && l >= 0 ? l : throw new InvalidDataException("malformed tensor size")).ToArray();
            var stride = strideObj.Select(s => s is long l && l >= 0 ? l : throw new InvalidDataException("malformed tensor stride")).ToArray();
            if (size.Length != stride.Length)
            {
                throw new InvalidDataException("tensor size and stride differ in length");
            }

            var last = size.Any(s => s == 0) ? offset : offset + size.Zip(stride, (s, t) => (s - 1) * t).Sum();
            if (offset < 0 || last >= Math.Max(storage.Count, 1) && size.All(s => s > 0))
            {
                throw new InvalidDataException($"tensor [{string.Join(",", size)}] at offset {offset} reaches past its storage '{storage.Key}' of {storage.Count} elements");
            }

            var flat = StorageTensor(storage);
            using var view = flat.as_strided(size, stride, offset);
            var t = view.clone();
            _made.Add(t);
            return t;
        }

        private Tensor StorageTensor(Storage s)
        {
            if (_storages.TryGetValue(s.Key, out var t))
            {
                return t;
            }

            var bytes = readStorage(s.Key);
            if (bytes.LongLength != s.Count * s.ElementSize)
            {
                throw new InvalidDataException($"storage '{s.Key}' has {bytes.LongLength} bytes, {s.Count} × {s.Type} needs {s.Count * s.ElementSize}");
            }

            t = torch.empty([s.Count], s.Type);
            if (bytes.Length > 0)
            {
                t.bytes = bytes;
            }

            _storages[s.Key] = t;
            return t;
        }

        private static Storage PersistentLoad(object? pid)
        {
            if (pid is object?[] { Length: 5 } p && p[0] is "storage" && p[1] is Global { Module: "torch" } g && StorageTypes.TryGetValue(g.Name, out var type)
                && p[2] is string key && p[4] is long count && count >= 0)
            {
                if (key.Contains('/', StringComparison.Ordinal) || key.Contains('\\', StringComparison.Ordinal) || key.Contains("..", StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"refused storage key '{key}'");
                }

                return new Storage(key, type.Type, type.Size, count);
            }

            throw new InvalidDataException($"refused persistent id {Describe(pid)}: only ('storage', torch.*Storage, key, location, numel)");
        }

        private void Build(object? state)
        {
            // OrderedDict state ({'_metadata': …} or a (dict, slots) pair) carries versions only: ignored.
            if (Peek() is not OrderedDictionary)
            {
                throw new InvalidDataException($"refused BUILD on {Describe(Peek())}");
            }
        }

        private static Dictionary<object, object?> Dict(object? o) => o as Dictionary<object, object?> ?? throw new InvalidDataException($"SETITEM on {Describe(o)}");

        private static List<object?> List(object? o) => o as List<object?> ?? throw new InvalidDataException($"APPEND on {Describe(o)}");

        private static object Key(object? k) => k switch
        {
            string or long or bool or double => k,
            _ => throw new InvalidDataException($"refused dict key of type {Describe(k)}"),
        };

        private object? Memo(long index) => _memo.TryGetValue(index, out var v) ? v : throw new InvalidDataException($"memo {index} is not set");

        private object? Pop() => _stack.Count > 0 && _stack.Peek() is not Mark ? _stack.Pop() : throw new InvalidDataException("pickle stack underflow");

        private object? Peek() => _stack.Count > 0 ? _stack.Peek() : throw new InvalidDataException("pickle stack underflow");

        private List<object?> PopToMark()
        {
            var items = new List<object?>();
            while (true)
            {
                if (_stack.Count == 0)
                {
                    throw new InvalidDataException("pickle MARK missing");
                }

                var o = _stack.Pop();
                if (o is Mark)
                {
                    break;
                }

                items.Add(o);
            }

            items.Reverse();
            return items;
        }

        private long Long1()
        {
            var n = ReadByte();
            var b = Read(n);
            if (n > 8)
            {
                throw new InvalidDataException("integer too large");
            }

            long v = 0;
            for (var i = n - 1; i >= 0; i--)
            {
                v = (v << 8) | b[i];
            }

            if (n is > 0 and < 8 && (b[n - 1] & 0x80) != 0)
            {
                v -= 1L << (8 * n);
            }

            return v;
        }

        private string Line()
        {
            var end = Array.IndexOf(data, (byte)'\n', _pos);
            if (end < 0 || end - _pos > 256)
            {
                throw new InvalidDataException("malformed GLOBAL");
            }

            var s = Encoding.UTF8.GetString(data, _pos, end - _pos);
            _pos = end + 1;
            return s;
        }

        private string Utf8(int length) => Encoding.UTF8.GetString(Read(length));

        private byte ReadByte() => _pos < data.Length ? data[_pos++] : throw new InvalidDataException("truncated pickle");

        private ReadOnlySpan<byte> Read(int n)
        {
            if (n < 0 || _pos + n > data.Length)
            {
                throw new InvalidDataException("truncated pickle");
            }

            var s = data.AsSpan(_pos, n);
            _pos += n;
            return s;
        }
    }
}
