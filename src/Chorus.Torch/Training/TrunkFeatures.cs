using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Chorus.IO;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Training;

/// <summary>
/// The frozen trunk's output (<see cref="BackboneClassifier.TrunkCut"/>) for every image of a training set, and for its
/// mirror image when training flips: computed once and shared by every member and epoch, so members train only the
/// unfrozen stages and the head. Stored in a cache folder as <c>trunk-&lt;key&gt;.npy</c> ([2 or 1, N, …] float32, written
/// atomically); the key is a SHA-256 of the cut, the preprocessing, the flips, the images and every backbone parameter and
/// buffer, so any change of backbone, weights, frozen stages, preprocessing or images gives another file.
/// </summary>
/// <remarks>
/// Only where a trunk output depends on the image alone: frozen stages run in eval mode (<see cref="BackboneClassifier"/>)
/// and training uses no augmentation but flips (<see cref="TrainingOptions.EffectiveAugmentation"/> is null).
/// </remarks>
public sealed class TrunkFeatures : IDisposable
{
    private const string Version = "chorus-trunk-v1";
    private readonly Tensor _values;

    private TrunkFeatures(Tensor values, string key, bool fromDisk)
    {
        _values = values;
        Key = key;
        FromDisk = fromDisk;
    }

    /// <summary>The cache key (hex SHA-256).</summary>
    public string Key { get; }

    /// <summary>True when the values were read from the cache folder.</summary>
    public bool FromDisk { get; }

    /// <summary>Whether the mirror images' trunk outputs are held too.</summary>
    public bool HasFlips => _values.shape[0] == 2;

    /// <summary>Path of the cache file of <paramref name="key"/> in <paramref name="cacheDir"/>.</summary>
    public static string PathFor(string cacheDir, string key) => System.IO.Path.Combine(cacheDir, $"trunk-{key[..32]}.npy");

    /// <summary>The key of (<paramref name="model"/>'s backbone, cut and preprocessing; <paramref name="images"/>; flips).</summary>
    public static string KeyOf(BackboneClassifier model, Tensor images, bool flips)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Join('\n', Version, model.TrunkCut, model.Preprocessing, flips, model.Backbone.GetType().Name, string.Join("x", images.shape))));
        Append(hash, images);
        foreach (var (name, t) in model.Backbone.Module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            Append(hash, t);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The trunk outputs of <paramref name="images"/> (and of their mirror images with <paramref name="flips"/>): read from
    /// <paramref name="cacheDir"/> when its file for this key exists and is whole, otherwise computed in batches of
    /// <paramref name="batchSize"/> and stored there (a folder that cannot be written is skipped). Null <paramref name="cacheDir"/>: memory only.
    /// </summary>
    public static TrunkFeatures Compute(BackboneClassifier model, Tensor images, bool flips, string? cacheDir, int batchSize = 32, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var key = KeyOf(model, images, flips);
        var path = cacheDir is null ? null : PathFor(cacheDir, key);
        if (path is not null && File.Exists(path))
        {
            try
            {
                var arr = NpyArray.Load(path);
                if (arr.Shape.Length >= 2 && arr.Shape[0] == (flips ? 2 : 1) && arr.Shape[1] == images.shape[0])
                {
                    return new TrunkFeatures(torch.tensor(arr.Floats, arr.Shape), key, fromDisk: true);
                }

                log?.Invoke($"warning: trunk cache {path} holds shape [{string.Join(",", arr.Shape)}], not this training set's; computing it again");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or EndOfStreamException)
            {
                log?.Invoke($"warning: trunk cache {path} is unusable ({e.Message}); computing it again");
            }
        }

        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            var n = images.shape[0];
            var parts = new List<Tensor>();
            foreach (var flip in flips ? new[] { false, true } : [false])
            {
                for (long start = 0; start < n; start += batchSize)
                {
                    var x = images.narrow(0, start, Math.Min(batchSize, n - start));
                    parts.Add(model.TrunkForward(flip ? x.flip(3) : x).contiguous());
                }
            }

            var all = torch.cat(parts, 0);
            var values = all.view([flips ? 2 : 1, n, .. all.shape[1..]]).contiguous();
            if (path is not null)
            {
                try
                {
                    Directory.CreateDirectory(cacheDir!);
                    NpyArray.FromFloats(values.data<float>().ToArray(), values.shape).Save(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    log?.Invoke($"warning: could not write trunk cache {path} ({e.Message}); continuing without it");
                }
            }

            return new TrunkFeatures(values.MoveToOuterDisposeScope(), key, fromDisk: false);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// Trunk outputs of the images at <paramref name="index"/> [B] int64; where <paramref name="flip"/> [B] bool is true,
    /// those of the mirror image. The caller's dispose scope owns the result.
    /// </summary>
    public Tensor Batch(Tensor index, Tensor? flip)
    {
        ArgumentNullException.ThrowIfNull(index);
        var plain = _values[0].index_select(0, index);
        if (flip is null)
        {
            return plain;
        }

        if (!HasFlips)
        {
            throw new InvalidOperationException("These trunk outputs were computed without mirror images.");
        }

        var mirrored = _values[1].index_select(0, index);
        var mask = flip.view([-1, .. Enumerable.Repeat(1L, (int)plain.dim() - 1)]);
        return torch.where(mask, mirrored, plain);
    }

    /// <inheritdoc/>
    public void Dispose() => _values.Dispose();

    private static void Append(IncrementalHash hash, Tensor t)
    {
        using var scope = NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        var bytes = c.dtype switch
        {
            ScalarType.Float32 => MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()).ToArray(),
            ScalarType.Float64 => MemoryMarshal.AsBytes(c.data<double>().ToArray().AsSpan()).ToArray(),
            ScalarType.Int64 => MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()).ToArray(),
            _ => Encoding.UTF8.GetBytes(c.to_type(ScalarType.Float64).sum().item<double>().ToString("R", CultureInfo.InvariantCulture)),
        };
        hash.AppendData(bytes);
    }
}
