using System.Diagnostics;
using System.Globalization;
using Chorus.Evaluation;
using Chorus.Explanations;
using Chorus.Metrics;
using Chorus.Statistics;

namespace Chorus.Benchmarks;

/// <summary>
/// <c>--evaluation</c>: times Ens-Avg vs Exp-Avg evaluation of precomputed maps, as `chorus evaluate` runs it, on
/// synthetic data held in memory: N images × M members × 5 methods of random 64×64 maps (a Gaussian blob plus noise, seeded)
/// and a random rectangular ROI per image, for 2 parts. Times <see cref="EnsembleEvaluator"/> with the default metrics
/// and with all metrics, then the ensemble-size curves (default metrics, 10 orders). Prints wall and process CPU seconds
/// and the load average (the machine is shared; wall time alone misleads under load).
/// Usage: --evaluation [--images 1000] [--models 11] [--methods 5] [--size 64] [--orders 10] [--curves-generic]
/// </summary>
internal static class EvaluationBench
{
    public static void Run(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int dflt) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : dflt;
        var images = Int("--images", 1000);
        var members = Int("--models", 11);
        var methods = Int("--methods", 5);
        var size = Int("--size", 64);
        var orders = Int("--orders", 10);
        const int Parts = 2;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Evaluation: {images} images × {members} members × {methods} methods × {Parts} parts, {size}×{size} maps, {Environment.ProcessorCount} cores, load {Load()}"));
        var clock = Stopwatch.StartNew();
        var rng = new Random(0);
        var maps = Enumerable.Range(0, methods).Select(_ => Enumerable.Range(0, members).Select(_ => (IReadOnlyList<SaliencyMap>)[.. Enumerable.Range(0, images).Select(_ => Map(rng, size))]).ToList()).ToList();
        var rois = Enumerable.Range(0, Parts).Select(_ => (IReadOnlyList<SaliencyMap?>)[.. Enumerable.Range(0, images).Select(_ => (SaliencyMap?)Roi(rng, size))]).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  built the maps in {clock.Elapsed.TotalSeconds:F1} s"));

        Time($"evaluate, default metrics ({MetricRegistry.DefaultNames.Count})", () => Evaluate(maps, rois, MetricRegistry.DefaultNames));
        Time($"evaluate, all metrics ({MetricRegistry.Names.Count})", () => Evaluate(maps, rois, [.. MetricRegistry.Names]));
        Time($"size curves, default metrics, {orders} orders", () =>
        {
            var metrics = MetricRegistry.CreateDefaults();
            foreach (var perMember in maps)
            {
                foreach (var roi in rois)
                {
                    EnsembleSizeCurve.Compute(perMember, roi, metrics, orders: orders);
                }
            }
        });
        Time($"  same, both parts per call (as chorus)", () =>
        {
            var metrics = MetricRegistry.CreateDefaults();
            foreach (var perMember in maps)
            {
                EnsembleSizeCurve.ComputeParts(perMember, rois, metrics, orders: orders);
            }
        });
        if (args.Contains("--curves-generic"))
        {
            // The generic path (any aggregator) for comparison: a wrapper the mean fast path does not recognise.
            Time($"  same, generic path (wrapped mean)", () =>
            {
                var metrics = MetricRegistry.CreateDefaults();
                foreach (var perMember in maps)
                {
                    EnsembleSizeCurve.ComputeParts(perMember, rois, metrics, new WrappedMean(), orders: orders);
                }
            });
        }
    }

    private static void Evaluate(List<List<IReadOnlyList<SaliencyMap>>> maps, List<IReadOnlyList<SaliencyMap?>> rois, IReadOnlyList<string> names)
    {
        var evaluator = new EnsembleEvaluator([.. names.Select(MetricRegistry.Create)]);
        foreach (var perMember in maps)
        {
            foreach (var roi in rois)
            {
                var result = evaluator.Evaluate(perMember, roi);
                ResultTables.CompareAll("part", "method", result);
            }
        }
    }

    private static void Time(string what, Action work)
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        work();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what,-45} {clock.Elapsed.TotalSeconds,7:F2} s wall  {cpu,7:F2} s CPU  load {Load()}"));
    }

    private sealed class WrappedMean : Chorus.Ensembles.IEnsembleAggregator
    {
        public string Name => "mean";

        public SaliencyMap Aggregate(IReadOnlyList<SaliencyMap> members) => Chorus.Ensembles.EnsembleAggregator.Mean.Aggregate(members);
    }

    private static SaliencyMap Map(Random rng, int size)
    {
        var v = new float[size * size];
        var (cx, cy, s) = (rng.NextDouble() * size, rng.NextDouble() * size, 3 + (rng.NextDouble() * size / 4));
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var d2 = ((x - cx) * (x - cx)) + ((y - cy) * (y - cy));
                v[(y * size) + x] = (float)(Math.Exp(-d2 / (2 * s * s)) + (0.3 * rng.NextDouble()));
            }
        }

        return new SaliencyMap(size, size, v);
    }

    private static SaliencyMap Roi(Random rng, int size)
    {
        var v = new float[size * size];
        var (x0, y0) = (rng.Next(size - 8), rng.Next(size - 8));
        var (w, h) = (4 + rng.Next(Math.Min(20, size - x0 - 4)), 4 + rng.Next(Math.Min(20, size - y0 - 4)));
        for (var y = y0; y < y0 + h; y++)
        {
            for (var x = x0; x < x0 + w; x++)
            {
                v[(y * size) + x] = 1;
            }
        }

        return new SaliencyMap(size, size, v);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
