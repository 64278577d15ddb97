using Chorus.Data.Cub;
using Chorus.Data.Imaging;
using Chorus.Data.Loading;
using Chorus.Data.Regions;

namespace Chorus.Data.Tests.Loading;

public class SplitCacheTests(SynthBirdsFixture fixture) : IClassFixture<SynthBirdsFixture>
{
    private static readonly SplitLoadOptions Options = new(Parts: [RoiPart.Beak, RoiPart.Wings, RoiPart.Bird]);

    [Fact]
    public void GetOrLoad_SecondCall_ReturnsIdenticalSplitWithoutDecoding()
    {
        // Given
        var cache = TestPaths.TempDir("split-cache");
        var decodes = 0;
        var key = SplitCacheKey.Create(fixture.Root, "cub", nameof(CubSplit.Train), 24, Options);
        LoadedSplit Decode()
        {
            decodes++;
            return CubDataset.Load(fixture.Root).LoadSplit(CubSplit.Train, 24, Options);
        }

        // When
        var first = SplitCache.GetOrLoad(cache, key, Decode);
        var second = SplitCache.GetOrLoad(cache, SplitCacheKey.Create(fixture.Root, "cub", nameof(CubSplit.Train), 24, Options), Decode);

        // Then
        Assert.Equal(1, decodes);
        AssertSame(first, second);
        Assert.True(File.Exists(SplitCache.PathFor(cache, key)));
        Assert.Empty(Directory.GetFiles(cache, "*.tmp"));
    }

    [Fact]
    public void GetOrLoad_OtherSizeOrOptions_IsAnotherEntry()
    {
        // Given
        var a = SplitCacheKey.Create(fixture.Root, "cub", "Train", 24, Options);

        // When
        var otherSize = SplitCacheKey.Create(fixture.Root, "cub", "Train", 32, Options);
        var otherParts = SplitCacheKey.Create(fixture.Root, "cub", "Train", 24, new SplitLoadOptions(Parts: [RoiPart.Beak]));
        var otherSplit = SplitCacheKey.Create(fixture.Root, "cub", "Test", 24, Options);
        var otherThreads = SplitCacheKey.Create(fixture.Root, "cub", "Train", 24, Options with { MaxDegreeOfParallelism = 1 });

        // Then
        Assert.Equal(4, new[] { a, otherSize, otherParts, otherSplit }.Select(k => k.FileName).Distinct().Count());
        Assert.Equal(a.FileName, otherThreads.FileName);
    }

    [Fact]
    public void GetOrLoad_ChangedImageFile_Invalidates()
    {
        // Given
        var root = fixture.Copy();
        var cache = TestPaths.TempDir("split-cache");
        var decodes = 0;
        LoadedSplit Decode()
        {
            decodes++;
            return CubDataset.Load(root).LoadSplit(CubSplit.Train, 24, Options);
        }

        var before = SplitCache.GetOrLoad(cache, SplitCacheKey.Create(root, "cub", "Train", 24, Options), Decode);

        // When: the first training image is replaced by a black one (as an editor would: new content, new time)
        var image = CubDataset.Load(root).Split(CubSplit.Train)[0];
        var size = ImageIO.ReadSize(image.FullPath);
        ImageIO.SavePng(image.FullPath, new RgbImage(size.Width, size.Height));
        File.SetLastWriteTimeUtc(image.FullPath, File.GetLastWriteTimeUtc(image.FullPath).AddMinutes(1));
        var after = SplitCache.GetOrLoad(cache, SplitCacheKey.Create(root, "cub", "Train", 24, Options), Decode);

        // Then
        Assert.Equal(2, decodes);
        Assert.NotEqual(before.Pixels.AsSpan(0, 3 * 24 * 24).ToArray(), after.Pixels.AsSpan(0, 3 * 24 * 24).ToArray());
        Assert.All(after.Pixels.AsSpan(0, 3 * 24 * 24).ToArray(), p => Assert.Equal(0f, p));
    }

    [Theory]
    [InlineData("truncate", "checksum mismatch")]
    [InlineData("flip-byte", "checksum mismatch")]
    [InlineData("tiny", "truncated")]
    [InlineData("version", "format version")]
    public void GetOrLoad_DamagedCache_ReportsAndRebuilds(string damage, string expectedProblem)
    {
        // Given
        var cache = TestPaths.TempDir("split-cache");
        var decodes = 0;
        var key = SplitCacheKey.Create(fixture.Root, "cub", "Test", 24, Options);
        LoadedSplit Decode()
        {
            decodes++;
            return CubDataset.Load(fixture.Root).LoadSplit(CubSplit.Test, 24, Options);
        }

        var original = SplitCache.GetOrLoad(cache, key, Decode);
        var path = SplitCache.PathFor(cache, key);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncate":
                File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                break;
            case "flip-byte":
                bytes[bytes.Length / 3] ^= 0x40;
                File.WriteAllBytes(path, bytes);
                break;
            case "tiny":
                File.WriteAllBytes(path, bytes[..5]);
                break;
            case "version":
                bytes[8] = 99;
                File.WriteAllBytes(path, bytes);
                break;
        }

        // When
        var messages = new List<string>();
        var reloaded = SplitCache.GetOrLoad(cache, key, Decode, messages.Add);
        var third = SplitCache.GetOrLoad(cache, key, Decode, messages.Add);

        // Then
        Assert.Equal(2, decodes);
        var message = Assert.Single(messages);
        Assert.Contains(path, message, StringComparison.Ordinal);
        Assert.Contains(expectedProblem, message, StringComparison.Ordinal);
        AssertSame(original, reloaded);
        AssertSame(original, third);
    }

    [Fact]
    public void LoadCub_WithAndWithoutCache_SameSplit_SecondCallReadsTheFile()
    {
        // Given
        var cache = TestPaths.TempDir("split-cache");
        var ds = CubDataset.Load(fixture.Root);
        var plain = SplitCache.LoadCub(null, ds, CubSplit.Test, 20, Options);

        // When
        var reports = 0;
        var miss = SplitCache.LoadCub(cache, ds, CubSplit.Test, 20, Options);
        var files = Directory.GetFiles(cache);
        File.SetLastWriteTimeUtc(files.Single(), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var hit = SplitCache.LoadCub(cache, ds, CubSplit.Test, 20, Options, new SynchronousProgress(() => reports++));

        // Then
        AssertSame(plain, miss);
        AssertSame(plain, hit);
        Assert.Single(files);
        Assert.Equal(0, reports);
        Assert.Equal(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(files.Single()));
    }

    [Fact]
    public void Fingerprint_IgnoresCacheFilesInsideTheDataset()
    {
        // Given
        var root = fixture.Copy();
        var before = SplitCacheKey.FingerprintFiles(root);

        // When: the cache lives inside the dataset folder
        SplitCache.GetOrLoad(Path.Combine(root, "cache"), SplitCacheKey.Create(root, "cub", "Test", 16), () => CubDataset.Load(root).LoadSplit(CubSplit.Test, 16));

        // Then
        Assert.Equal(before, SplitCacheKey.FingerprintFiles(root));
    }

    private sealed class SynchronousProgress(Action report) : IProgress<int>
    {
        public void Report(int value) => report();
    }

    private static void AssertSame(LoadedSplit expected, LoadedSplit actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Size, actual.Size);
        Assert.Equal(expected.ClassCount, actual.ClassCount);
        Assert.Equal(expected.Pixels, actual.Pixels);
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.ImageIds, actual.ImageIds);
        Assert.Equal(expected.Skipped, actual.Skipped);
        Assert.Equal(expected.Regions.Keys, actual.Regions.Keys);
        foreach (var (name, regions) in expected.Regions)
        {
            var other = actual.Regions[name];
            Assert.Equal(regions.Length, other.Length);
            for (var i = 0; i < regions.Length; i++)
            {
                Assert.Equal(regions[i] is null, other[i] is null);
                if (regions[i] is { } r)
                {
                    Assert.Equal((r.ImageId, r.Part, r.Source, r.Width, r.Height), (other[i]!.ImageId, other[i]!.Part, other[i]!.Source, other[i]!.Width, other[i]!.Height));
                    Assert.Equal(r.Mask.Values, other[i]!.Mask.Values);
                }
            }
        }
    }
}
