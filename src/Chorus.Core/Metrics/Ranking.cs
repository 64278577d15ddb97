namespace Chorus.Metrics;

/// <summary>Sorting helpers shared by rank-based metrics and normalisations.</summary>
internal static class Ranking
{
    /// <summary>Pixel indices sorted by value, descending; ties in index order (deterministic).</summary>
    public static int[] OrderDescending(float[] values)
    {
        var keys = new float[values.Length];
        var idx = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            keys[i] = -values[i];
            idx[i] = i;
        }

        // Array.Sort on (keys, items) is unstable; fix ties by index afterwards so results never depend on it.
        Array.Sort(keys, idx);
        var start = 0;
        while (start < keys.Length)
        {
            var end = start + 1;
            while (end < keys.Length && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                Array.Sort(idx, start, end - start);
            }

            start = end;
        }

        return idx;
    }

    /// <summary>1-based ranks, ascending; tied values get the average of their ranks (Spearman's convention).</summary>
    public static double[] AverageRanks(float[] values)
    {
        var n = values.Length;
        var keys = (float[])values.Clone();
        var idx = new int[n];
        for (var i = 0; i < n; i++)
        {
            idx[i] = i;
        }

        Array.Sort(keys, idx);
        var ranks = new double[n];
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            var avg = ((start + 1) + end) / 2.0; // mean of ranks start+1 .. end
            for (var j = start; j < end; j++)
            {
                ranks[idx[j]] = avg;
            }

            start = end;
        }

        return ranks;
    }

    /// <summary>
    /// Expected number of ROI pixels among the top <paramref name="k"/> pixels of <paramref name="values"/> when
    /// ties at the k-th value are broken uniformly at random (exact, no sampling): every pixel strictly above the
    /// k-th value counts fully; the tied group at the boundary contributes (slots left) × (its share inside the ROI).
    /// </summary>
    public static double ExpectedHitsInTopK(float[] values, bool[] roi, int k)
    {
        var n = values.Length;
        if (k >= n)
        {
            var all = 0;
            foreach (var r in roi)
            {
                if (r)
                {
                    all++;
                }
            }

            return all;
        }

        var sorted = (float[])values.Clone();
        Array.Sort(sorted);
        var kth = sorted[n - k]; // k-th largest
        int above = 0, aboveHits = 0, tied = 0, tiedHits = 0;
        for (var i = 0; i < n; i++)
        {
            if (values[i] > kth)
            {
                above++;
                if (roi[i])
                {
                    aboveHits++;
                }
            }
            else if (values[i] == kth)
            {
                tied++;
                if (roi[i])
                {
                    tiedHits++;
                }
            }
        }

        var slots = k - above;
        return aboveHits + (slots * (double)tiedHits / tied);
    }
}
