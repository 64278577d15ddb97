#:project ../src/Chorus.Data/Chorus.Data.csproj

// Decode time vs split-cache hit time on SynthBirds (default: 8 species, 64 px, 2,000 images), loading both splits
// the way `demo` does (train without regions, test with beak and wings).
// Usage: dotnet run bench/split-cache.cs -- WORKDIR [repeats]
// WORKDIR/data is generated when missing; WORKDIR/cache is emptied first. Prints one line per measurement.
// The cached path includes what a cached run really pays: reading the metadata, one fingerprint of the dataset files, reading the files.
using System.Diagnostics;
using System.Globalization;
using Chorus.Data.Cub;
using Chorus.Data.Loading;
using Chorus.Data.Regions;
using Chorus.Data.Synthetic;

if (args.Length < 1)
{
    Console.Error.WriteLine("error: usage: dotnet run bench/split-cache.cs -- WORKDIR [repeats]");
    return 2;
}

var work = Path.GetFullPath(args[0]);
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var data = Path.Combine(work, "data");
var cache = Path.Combine(work, "cache");
if (!File.Exists(Path.Combine(data, "images.txt")))
{
    var g = Stopwatch.StartNew();
    SynthBirds.Generate(data, new SynthBirdsOptions());
    Console.WriteLine(FormattableString.Invariant($"generate  {g.Elapsed.TotalSeconds,8:F2} s"));
}

if (Directory.Exists(cache))
{
    Directory.Delete(cache, recursive: true);
}

const int Size = 64;
var trainOptions = new SplitLoadOptions();
var testOptions = new SplitLoadOptions([RoiPart.Beak, RoiPart.Wings]);
var decodes = 0;
(LoadedSplit, LoadedSplit) Load(bool cached)
{
    var dataset = CubDataset.Load(data);
    LoadedSplit Decode(CubSplit split, SplitLoadOptions o)
    {
        decodes++;
        return dataset.LoadSplit(split, Size, o);
    }

    if (!cached)
    {
        return (Decode(CubSplit.Train, trainOptions), Decode(CubSplit.Test, testOptions));
    }

    var fingerprint = SplitCacheKey.FingerprintFiles(data);
    var train = SplitCache.GetOrLoad(cache, SplitCacheKey.Create(data, "cub", nameof(CubSplit.Train), Size, trainOptions, fingerprint), () => Decode(CubSplit.Train, trainOptions), Console.Error.WriteLine);
    var test = SplitCache.GetOrLoad(cache, SplitCacheKey.Create(data, "cub", nameof(CubSplit.Test), Size, testOptions, fingerprint), () => Decode(CubSplit.Test, testOptions), Console.Error.WriteLine);
    return (train, test);
}

double Time(Func<(LoadedSplit, LoadedSplit)> f, out (LoadedSplit Train, LoadedSplit Test) result)
{
    var sw = Stopwatch.StartNew();
    result = f();
    return sw.Elapsed.TotalSeconds;
}

Time(() => Load(cached: false), out _); // warm-up (JIT, file system cache)
for (var r = 0; r < repeats; r++)
{
    var fingerprint = Stopwatch.StartNew();
    SplitCacheKey.FingerprintFiles(data);
    var files = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).Count();
    Console.WriteLine(FormattableString.Invariant($"fingerprint {fingerprint.Elapsed.TotalSeconds,8:F3} s (stat of {files} dataset files)"));
    var decode = Time(() => Load(cached: false), out var plain);
    if (Directory.Exists(cache))
    {
        Directory.Delete(cache, recursive: true);
    }

    var before = decodes;
    var miss = Time(() => Load(cached: true), out _);
    var hit = Time(() => Load(cached: true), out var fromCache);
    var same = plain.Train.Pixels.AsSpan().SequenceEqual(fromCache.Train.Pixels) && plain.Test.Pixels.AsSpan().SequenceEqual(fromCache.Test.Pixels);
    var bytes = Directory.GetFiles(cache).Sum(f => new FileInfo(f).Length);
    Console.WriteLine(FormattableString.Invariant(
        $"run {r + 1}: decode {decode,6:F2} s | miss (decode + write) {miss,6:F2} s | hit {hit,6:F2} s | decodes during miss+hit {decodes - before} | cache {bytes / 1e6:F1} MB | identical {same} | images {plain.Train.Count}+{plain.Test.Count}"));
}

return 0;
