using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Chorus.Data.Regions;
using Chorus.Explanations;
using Chorus.IO;

namespace Chorus.Data.Loading;

/// <summary>
/// An on-disk cache of decoded splits, so that the images of a dataset are decoded and resized once and later runs
/// (or the members of one run) read the tensors back. One file per <see cref="SplitCacheKey"/> in the cache folder,
/// written atomically; it holds the pixels, labels, ids, regions and skipped images, and ends with a SHA-256 of its
/// content. A missing, stale, truncated or corrupt file is never fatal: the problem is reported through the log
/// callback and the split is decoded again (and the file rewritten).
/// <para>
/// Layout (little-endian): magic <c>CHSPLIT\0</c>, int32 format version, key text, int32 count, size, class count,
/// int32 labels[count], int32 ids[count], float32 pixels[count·3·size·size], regions, skipped images, SHA-256 of all
/// preceding bytes. Strings are an int32 byte length then UTF-8; a region is a tag (0 absent, 1 a 0/1 mask stored as
/// bytes, 2 float values), then image id, part, source, height, width and the values.
/// </para>
/// </summary>
public static class SplitCache
{
    private static readonly byte[] Magic = "CHSPLIT\0"u8.ToArray();

    /// <summary>The path of the cache file of <paramref name="key"/> in <paramref name="cacheDir"/>.</summary>
    public static string PathFor(string cacheDir, SplitCacheKey key)
    {
        ArgumentNullException.ThrowIfNull(cacheDir);
        ArgumentNullException.ThrowIfNull(key);
        return Path.Combine(cacheDir, key.FileName);
    }

    /// <summary>
    /// Returns the cached split of <paramref name="key"/>, or calls <paramref name="load"/>, stores its result and
    /// returns it. A cache file that cannot be used (truncated, corrupt, other format version, other key) is reported
    /// to <paramref name="log"/> (one line naming the file and the problem) and rebuilt; failing to write the cache is
    /// reported and otherwise ignored.
    /// </summary>
    /// <param name="cacheDir">Cache folder (created when needed).</param>
    /// <param name="key">What the split depends on (<see cref="SplitCacheKey.Create"/>).</param>
    /// <param name="load">Decodes the split from source (only called on a miss).</param>
    /// <param name="log">Receives warnings; may be null.</param>
    public static LoadedSplit GetOrLoad(string cacheDir, SplitCacheKey key, Func<LoadedSplit> load, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(load);
        var path = PathFor(cacheDir, key);
        if (File.Exists(path))
        {
            if (TryRead(path, key, out var cached, out var problem))
            {
                return cached;
            }

            log?.Invoke($"warning: split cache {path} is unusable ({problem}); decoding the images again");
        }

        var split = load() ?? throw new InvalidOperationException("The split loader returned null.");
        try
        {
            Write(path, key, split);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"warning: could not write split cache {path} ({e.Message}); continuing without it");
        }

        return split;
    }

    /// <summary>
    /// <see cref="Cub.CubDataset.LoadSplit"/> through the cache: with <paramref name="cacheDir"/> null, a plain load;
    /// otherwise the cached split of (dataset folder and files, <c>cub</c>, split, size, options), decoded on a miss.
    /// <paramref name="progress"/> only reports while decoding.
    /// </summary>
    public static LoadedSplit LoadCub(
        string? cacheDir,
        Cub.CubDataset dataset,
        Cub.CubSplit split,
        int size,
        SplitLoadOptions? options = null,
        IProgress<int>? progress = null,
        Action<string>? log = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        LoadedSplit Decode() => dataset.LoadSplit(split, size, options, progress, cancellationToken);
        return cacheDir is null ? Decode() : GetOrLoad(cacheDir, SplitCacheKey.Create(dataset.Root, "cub", split.ToString(), size, options), Decode, log);
    }

    /// <summary>Writes <paramref name="split"/> as the cache file of <paramref name="key"/> at <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, SplitCacheKey key, LoadedSplit split)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(split);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The split cache is written on little-endian machines only.");
        }

        AtomicFile.Write(path, stream =>
        {
            using var hashing = new HashingStream(stream);
            using (var w = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(SplitCacheKey.FormatVersion);
                WriteString(w, key.Canonical);
                w.Write(split.Count);
                w.Write(split.Size);
                w.Write(split.ClassCount);
                w.Write(MemoryMarshal.AsBytes(split.Labels.AsSpan()));
                w.Write(MemoryMarshal.AsBytes(split.ImageIds.AsSpan()));
                w.Write(MemoryMarshal.AsBytes(split.Pixels.AsSpan()));
                w.Write(split.Regions.Count);
                foreach (var (name, regions) in split.Regions)
                {
                    WriteString(w, name);
                    foreach (var r in regions)
                    {
                        WriteRegion(w, r);
                    }
                }

                w.Write(split.Skipped.Count);
                foreach (var s in split.Skipped)
                {
                    w.Write(s.ImageId);
                    WriteString(w, s.Path);
                    WriteString(w, s.Reason);
                }
            }

            stream.Write(hashing.Hash());
        });
    }

    /// <summary>Reads a cache file; false with a one-line <paramref name="problem"/> when it is unusable for <paramref name="key"/>.</summary>
    public static bool TryRead(string path, SplitCacheKey key, out LoadedSplit split, out string problem)
    {
        ArgumentNullException.ThrowIfNull(key);
        split = null!;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot be read: {e.Message}";
            return false;
        }

        const int HashLength = 32;
        if (bytes.Length < Magic.Length + 4 + HashLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            problem = bytes.Length < Magic.Length ? $"truncated: only {bytes.Length} bytes" : "not a Chorus split cache file";
            return false;
        }

        var version = BitConverter.ToInt32(bytes, Magic.Length);
        if (version != SplitCacheKey.FormatVersion)
        {
            problem = $"written by cache format version {version}, this build reads version {SplitCacheKey.FormatVersion}";
            return false;
        }

        var body = bytes.AsSpan(0, bytes.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
        {
            problem = $"checksum mismatch: the file ({bytes.Length} bytes) is truncated or corrupt";
            return false;
        }

        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, body.Length, writable: false), Encoding.UTF8);
            r.ReadBytes(Magic.Length + 4);
            var storedKey = ReadString(r);
            if (storedKey != key.Canonical)
            {
                problem = "it was written for another dataset state or options";
                return false;
            }

            var count = r.ReadInt32();
            var size = r.ReadInt32();
            var classCount = r.ReadInt32();
            if (count < 0 || size < 1 || classCount < 1 || (long)count * 3 * size * size * 4 > body.Length)
            {
                problem = $"implausible header (count {count}, size {size}, classes {classCount})";
                return false;
            }

            var labels = ReadArray<int>(r, count);
            var ids = ReadArray<int>(r, count);
            var pixels = ReadArray<float>(r, count * 3 * size * size);
            var regionCount = r.ReadInt32();
            var regions = new Dictionary<string, RegionOfInterest?[]>();
            for (var k = 0; k < regionCount; k++)
            {
                var name = ReadString(r);
                var values = new RegionOfInterest?[count];
                for (var i = 0; i < count; i++)
                {
                    values[i] = ReadRegion(r);
                }

                regions[name] = values;
            }

            var skippedCount = r.ReadInt32();
            var skipped = new List<SkippedImage>();
            for (var i = 0; i < skippedCount; i++)
            {
                skipped.Add(new SkippedImage(r.ReadInt32(), ReadString(r), ReadString(r)));
            }

            if (r.BaseStream.Position != body.Length)
            {
                problem = $"{body.Length - r.BaseStream.Position} unexpected bytes after the content";
                return false;
            }

            split = new LoadedSplit
            {
                Count = count,
                Size = size,
                ClassCount = classCount,
                Pixels = pixels,
                Labels = labels,
                ImageIds = ids,
                Regions = regions,
                Skipped = skipped,
            };
            problem = string.Empty;
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or ArgumentException or OverflowException or DecoderFallbackException)
        {
            problem = $"malformed content ({e.Message})";
            return false;
        }
    }

    private static void WriteRegion(BinaryWriter w, RegionOfInterest? region)
    {
        if (region is null)
        {
            w.Write((byte)0);
            return;
        }

        var values = region.Mask.Values;
        var binary = values.All(v => v is 0f or 1f) && !values.Any(v => float.IsNegative(v));
        w.Write(binary ? (byte)1 : (byte)2);
        w.Write(region.ImageId);
        WriteString(w, region.Part);
        w.Write((int)region.Source);
        w.Write(region.Height);
        w.Write(region.Width);
        if (binary)
        {
            w.Write(values.Select(v => (byte)v).ToArray());
        }
        else
        {
            w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }

    private static RegionOfInterest? ReadRegion(BinaryReader r)
    {
        var tag = r.ReadByte();
        if (tag == 0)
        {
            return null;
        }

        if (tag is not (1 or 2))
        {
            throw new InvalidDataException($"unknown region tag {tag}");
        }

        var imageId = r.ReadInt32();
        var part = ReadString(r);
        var source = (RoiSource)r.ReadInt32();
        var height = r.ReadInt32();
        var width = r.ReadInt32();
        if (height < 1 || width < 1 || (long)height * width > r.BaseStream.Length)
        {
            throw new InvalidDataException($"implausible region size {width}×{height}");
        }

        var values = tag == 1
            ? Array.ConvertAll(ReadExactly(r, height * width), b => (float)b)
            : ReadArray<float>(r, height * width);
        return new RegionOfInterest(imageId, part, new SaliencyMap(height, width, values), source);
    }

    private static T[] ReadArray<T>(BinaryReader r, int count)
        where T : unmanaged
    {
        var bytes = ReadExactly(r, checked(count * Marshal.SizeOf<T>()));
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private static byte[] ReadExactly(BinaryReader r, int length)
    {
        var bytes = r.ReadBytes(length);
        return bytes.Length == length ? bytes : throw new EndOfStreamException($"needed {length} bytes, found {bytes.Length}");
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static string ReadString(BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0 || length > r.BaseStream.Length)
        {
            throw new InvalidDataException($"implausible string length {length}");
        }

        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(ReadExactly(r, length));
    }

    /// <summary>A write-only stream that forwards to another and hashes what passes through (SHA-256).</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public byte[] Hash() => _hash.GetHashAndReset();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
