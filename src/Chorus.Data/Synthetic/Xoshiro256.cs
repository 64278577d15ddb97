namespace Chorus.Data.Synthetic;

/// <summary>
/// xoshiro256** seeded through SplitMix64: a small, fast PRNG whose output depends only on its seed, never on the
/// .NET version (unlike <see cref="Random"/>). One instance per image, seeded from (dataset seed, image index).
/// </summary>
internal struct Xoshiro256
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Xoshiro256(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>The generator for item <paramref name="index"/> of a dataset with seed <paramref name="seed"/>.</summary>
    public static Xoshiro256 ForItem(long seed, long index, ulong stream = 0)
    {
        var sm = (ulong)seed ^ (stream * 0xD1B54A32D192ED03UL);
        var a = SplitMix64(ref sm);
        var mixed = a ^ ((ulong)index * 0x9E3779B97F4A7C15UL);
        return new Xoshiro256(SplitMix64(ref mixed));
    }

    public ulong NextULong()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public float Range(double min, double max) => (float)(min + ((max - min) * NextDouble()));

    /// <summary>Uniform integer in [0, <paramref name="n"/>).</summary>
    public int NextInt(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    public bool NextBool() => (NextULong() >> 63) != 0;

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
