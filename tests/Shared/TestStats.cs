namespace Chorus.Testing;

/// <summary>Statistics the tests compare maps with.</summary>
internal static class TestStats
{
    /// <summary>Pearson correlation of two equally long value sequences (accumulated in double).</summary>
    public static double Pearson(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            throw new ArgumentException($"Pearson needs two non-empty sequences of one length, got {a.Length} and {b.Length}.");
        }

        double ma = 0, mb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ma += a[i];
            mb += b[i];
        }

        ma /= a.Length;
        mb /= b.Length;
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}
