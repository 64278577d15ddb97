using TorchSharp;

namespace Chorus.Torch.Tests;

public class NativeAllocatorTests
{
    [Fact]
    public void KeepFreedMemory_OnLinuxGlibc_AppliesOnce_AndTensorsStillWork()
    {
        // When (twice: the second call changes nothing)
        var first = NativeAllocator.KeepFreedMemory();
        var second = NativeAllocator.KeepFreedMemory();

        // Then: applied here (Linux, glibc), described for the manifest, and large tensors allocate, free and reallocate
        Assert.Equal(OperatingSystem.IsLinux(), first);
        Assert.Equal(first, second);
        Assert.StartsWith(first ? "glibc mallopt" : "default", NativeAllocator.Description, StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            using var big = torch.ones(64, 1024, 1024);   // 256 MiB, above glibc's largest mmap threshold
            Assert.Equal(64L * 1024 * 1024, big.sum().item<float>());
        }
    }
}
