using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Chorus.Data.Regions;

namespace Chorus.Data.Loading;

/// <summary>
/// What a cached split depends on: dataset folder, format, split, image size, the loader options that change the
/// result, and a fingerprint of the files under the dataset folder. Any difference gives another cache file.
/// </summary>
/// <param name="DatasetRoot">The dataset folder (made absolute).</param>
/// <param name="Format">Dataset format, e.g. <c>cub</c> or <c>isic2018</c>.</param>
/// <param name="Split">Which images, e.g. <c>Train</c>.</param>
/// <param name="Size">Side S of the decoded images.</param>
/// <param name="LoaderOptions">The options that change the result, as text (<see cref="DescribeOptions"/>).</param>
/// <param name="SourceFingerprint">A fingerprint of the dataset's files (<see cref="FingerprintFiles"/>).</param>
public sealed record SplitCacheKey(string DatasetRoot, string Format, string Split, int Size, string LoaderOptions, string SourceFingerprint)
{
    /// <summary>Version of the cache file layout; files of another version are rebuilt.</summary>
    public const int FormatVersion = 1;

    /// <summary>Extension of cache files (skipped by <see cref="FingerprintFiles"/>, so a cache may live inside the dataset).</summary>
    public const string Extension = ".chorus-split";

    /// <summary>The key as one canonical text (stored in the cache file and compared on read).</summary>
    public string Canonical => string.Join(
        '\n',
        $"chorus-split-cache v{FormatVersion.ToString(CultureInfo.InvariantCulture)}",
        $"root={DatasetRoot}",
        $"format={Format}",
        $"split={Split}",
        $"size={Size.ToString(CultureInfo.InvariantCulture)}",
        $"options={LoaderOptions}",
        $"source={SourceFingerprint}");

    /// <summary>The cache file name: a readable prefix and a hash of <see cref="Canonical"/>.</summary>
    public string FileName
    {
        get
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)))[..24];
            var prefix = string.Concat($"{Format}-{Split}-{Size.ToString(CultureInfo.InvariantCulture)}".Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_'));
            return $"{prefix}-{hash}{Extension}";
        }
    }

    /// <summary>The key of a split of the dataset at <paramref name="datasetRoot"/>, fingerprinting its files now.</summary>
    /// <param name="datasetRoot">Dataset folder.</param>
    /// <param name="format">Dataset format name.</param>
    /// <param name="split">Split name (e.g. <c>CubSplit.Train.ToString()</c>).</param>
    /// <param name="size">Side S of the decoded images.</param>
    /// <param name="options">The loader options (null = defaults).</param>
    /// <param name="sourceFingerprint">The dataset's <see cref="FingerprintFiles"/>, when already computed (one listing serves every split); null: computed here.</param>
    /// <exception cref="DirectoryNotFoundException">The dataset folder does not exist.</exception>
    public static SplitCacheKey Create(string datasetRoot, string format, string split, int size, SplitLoadOptions? options = null, string? sourceFingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(datasetRoot);
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var root = Path.GetFullPath(datasetRoot);
        return new SplitCacheKey(root, format, split, size, DescribeOptions(options), sourceFingerprint ?? FingerprintFiles(root));
    }

    /// <summary>
    /// The options that change a loaded split, as canonical text: parts (name, ids, whole bird), skip policy and region
    /// options. <see cref="SplitLoadOptions.MaxDegreeOfParallelism"/> is left out (it does not change the result).
    /// </summary>
    public static string DescribeOptions(SplitLoadOptions? options)
    {
        options ??= new SplitLoadOptions();
        var roi = options.Roi ?? new RoiOptions();
        var parts = string.Join(
            ',',
            (options.Parts ?? []).Select(p => $"{p.Name}:[{string.Join(' ', p.PartIds.Select(i => i.ToString(CultureInfo.InvariantCulture)))}]{(p.WholeBird ? ":bird" : string.Empty)}"));
        return string.Create(CultureInfo.InvariantCulture, $"parts={parts};skipCorrupt={options.SkipCorrupt};disc={roi.DiscRadiusFraction:R};useMasks={roi.UseMasks};shape={roi.Shape};crop={options.Crop}");
    }

    /// <summary>
    /// A fingerprint of every file under <paramref name="root"/> (recursively, cache files and temporary files excluded):
    /// file count, total bytes, latest modification time and a SHA-256 of the sorted listing of (relative path, length,
    /// modification time). Only metadata is read, so it is cheap; a file rewritten with the same length and time is not seen.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static string FingerprintFiles(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{root}: dataset folder not found.");
        }

        var files = new DirectoryInfo(root)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            .Where(f => !f.Name.EndsWith(Extension, StringComparison.Ordinal) && !(f.Name.StartsWith('.') && f.Name.EndsWith(".tmp", StringComparison.Ordinal)))
            .Select(f => (Path: Path.GetRelativePath(root, f.FullName).Replace('\\', '/'), f.Length, Ticks: f.LastWriteTimeUtc.Ticks))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0, latest = 0;
        foreach (var (path, length, ticks) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{path}\t{length}\t{ticks}\n")));
            bytes += length;
            latest = Math.Max(latest, ticks);
        }

        return string.Create(CultureInfo.InvariantCulture, $"files={files.Count};bytes={bytes};latest={latest};listing={Convert.ToHexStringLower(hash.GetHashAndReset())}");
    }
}
