using System.Globalization;
using System.Text;
using Chorus.Explanations;
using Chorus.IO;
using Chorus.Runs;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using Chorus.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Explaining;

/// <summary>What <see cref="EnsembleExplainer"/> reports while it runs.</summary>
/// <param name="Member">0-based member index.</param>
/// <param name="Members">Ensemble size.</param>
/// <param name="ImagesDone">Images of this member explained so far (all methods).</param>
/// <param name="Images">Images per member.</param>
/// <param name="Resumed">True when this member's maps were found on disk.</param>
public sealed record ExplainProgress(int Member, int Members, int ImagesDone, int Images, bool Resumed);

/// <summary>
/// Explains a set of images with every member of an ensemble and every requested method, one member at a time
/// (images stay in memory; each member is loaded once). Methods that share a gradient pass (Saliency,
/// Input×Gradient, Grad-CAM) get it from one forward+backward. Each member's maps are written to
/// <c>maps/&lt;method&gt;/member-XX.npy</c> ([N,H,W] float32, atomically), so an interrupted run resumes member by member.
/// </summary>
public sealed class EnsembleExplainer
{
    /// <summary>The five methods of the study, in table order.</summary>
    public static readonly IReadOnlyList<string> StudyMethods =
        [Saliency.CliName, InputXGradient.CliName, IntegratedGradients.CliName, GradientShap.CliName, GradCam.CliName];


    private readonly AttributionSettings _settings;
    private readonly MapReduction _reduction;
    private readonly int _batchSize;
    private readonly long _seed;

    /// <param name="settings">Options of every method (Captum defaults unless set), and the <see cref="AttributionSettings.Precision"/> and <see cref="AttributionSettings.Layout"/> of the model passes.</param>
    /// <param name="reduction">How [C,H,W] input-space attributions become one map (layer maps have one channel and are kept as they are).</param>
    /// <param name="batchSize">Images per forward/backward pass.</param>
    /// <param name="seed">Seed of stochastic methods (Gradient SHAP, SmoothGrad); member m uses <c>seed + m</c>.</param>
    public EnsembleExplainer(AttributionSettings settings, MapReduction reduction = MapReduction.SumAbs, int batchSize = 16, long seed = 0)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _reduction = reduction;
        _batchSize = batchSize;
        _seed = seed;
    }

    /// <summary>Path of one member's maps for one method.</summary>
    public static string MapsPath(string runDir, string method, int member) =>
        Path.Combine(runDir, "maps", method, string.Create(CultureInfo.InvariantCulture, $"member-{member:D2}.npy"));

    /// <summary>
    /// Path of one member's adaptive Integrated Gradients report (<see cref="IntegratedGradientsOptions.Tolerance"/>): a CSV
    /// with one row per image, <c>image,steps,relative_gap</c>.
    /// </summary>
    public static string ConvergencePath(string runDir, int member) =>
        Path.Combine(runDir, "maps", IntegratedGradients.CliName, string.Create(CultureInfo.InvariantCulture, $"member-{member:D2}.steps.csv"));

    /// <summary>
    /// Explains <paramref name="images"/> (targets = its labels) with <paramref name="members"/> members loaded by
    /// <paramref name="loadMember"/>; returns maps[method][member][image]. With <paramref name="range"/>, only those members
    /// (the others' entries are empty), each locked while it is explained (<see cref="EnsembleTrainer.MemberLockPath"/>),
    /// so that processes explaining disjoint ranges of one run folder can run at once.
    /// </summary>
    /// <exception cref="ChorusException">Another process holds a member of the range.</exception>
    public IReadOnlyDictionary<string, SaliencyMap[][]> Explain(
        string runDir,
        Func<int, IClassifier> loadMember,
        int members,
        ImageTensorSet images,
        IReadOnlyList<string> methods,
        IProgress<ExplainProgress>? progress = null,
        CancellationToken cancellationToken = default,
        MemberRange? range = null)
    {
        range ??= MemberRange.All(members);
        range.Validate(members);
        foreach (var m in methods)
        {
            if (!AttributionMethodFactory.Names.Contains(m))
            {
                throw new ArgumentException($"Unknown method '{m}'. Known: {string.Join(", ", AttributionMethodFactory.Names)}.", nameof(methods));
            }
        }

        // Maps are compared pixel by pixel with the images and regions: layer maps must come back at the input size.
        if (methods.Contains(GradCam.CliName) && _settings.GradCam.Upsample == CamUpsample.None)
        {
            throw new ArgumentException("grad-cam: the ensemble's maps must have the images' size; set AttributionSettings.GradCam.Upsample (the study uses Bilinear).", nameof(methods));
        }

        if (methods.Contains(GradCamPlusPlus.CliName) && _settings.GradCamPlusPlus.Upsample == CamUpsample.None)
        {
            throw new ArgumentException("grad-cam-plus-plus: the ensemble's maps must have the images' size; set AttributionSettings.GradCamPlusPlus.Upsample (e.g. Bilinear).", nameof(methods));
        }

        var n = images.Count;
        var h = (int)images.Images.shape[2];
        var w = (int)images.Images.shape[3];
        var result = methods.ToDictionary(m => m, _ => Enumerable.Repeat(Array.Empty<SaliencyMap>(), members).ToArray(), StringComparer.Ordinal);
        foreach (var member in range.Members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var claim = FileLock.Acquire(EnsembleTrainer.MemberLockPath(runDir, member), $"Member {member} of {runDir}");
            var missing = methods.Where(m => !TryLoad(runDir, m, member, n, h, w, out result[m][member])).ToList();
            if (missing.Count == 0)
            {
                progress?.Report(new ExplainProgress(member, members, n, n, true));
                continue;
            }

            using var loaded = loadMember(member);
            loaded.Module.eval();

            // The member's own gradients in float32 against float64, once per architecture and size (NumericsGuard).
            NumericsGuard.CheckModel(loaded, images.Images, images.Labels, _settings.Layout);

            // bf16 and channels-last: each member converted once (not per batch), and given back afterwards.
            using var passes = new ModelPasses(loaded, _settings.Precision, _settings.Layout, images.Images);
            var model = passes.Model;
            using var generator = new Generator((ulong)(_seed + member));
            var buffers = missing.ToDictionary(m => m, _ => new float[(long)n * h * w], StringComparer.Ordinal);
            var convergence = new StringBuilder("image,steps,relative_gap\n");
            // Methods whose maps come out of one shared forward + backward (their registration says how), and the rest.
            var fused = missing.Select(m => (Name: m, Info: AttributionRegistry.Get(m))).Where(m => m.Info.FromFusedPass is not null).ToList();
            var others = missing.Select(m => (Name: m, Info: AttributionRegistry.Get(m))).Where(m => m.Info.FromFusedPass is null)
                .Select(m => (m.Name, m.Info, Method: AttributionMethodFactory.Create(m.Name, _settings, generator))).ToList();
            for (var start = 0; start < n; start += _batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(_batchSize, n - start);
                using var scope = NewDisposeScope();
                var x = images.Images.narrow(0, start, count);
                var y = images.Labels.narrow(0, start, count);
                if (fused.Count > 0)
                {
                    var layerMaps = fused.Any(m => m.Info.Space == MapSpace.Layer);
                    using var pass = FusedGradientPass.Compute(model, x, y, new FusedPassOptions(_settings.Saliency.Abs, layerMaps ? _settings.GradCam : null));
                    foreach (var (name, info) in fused)
                    {
                        Copy(info.FromFusedPass!(pass), info.Space == MapSpace.Layer, buffers[name], start, h, w);
                    }
                }

                foreach (var (name, info, method) in others)
                {
                    using var inner = NewDisposeScope();
                    Tensor attr;
                    if (Adaptive(method) is { } ig)
                    {
                        attr = ig.AttributeWithConvergence(model, x, y, out var report);
                        for (var k = 0; k < count; k++)
                        {
                            convergence.Append(CultureInfo.InvariantCulture, $"{start + k},{report.Steps[k]},{report.RelativeGaps[k]:R}\n");
                        }
                    }
                    else
                    {
                        attr = method.Attribute(model, x, y);
                    }

                    if (attr.shape[2] != h || attr.shape[3] != w)
                    {
                        throw new ChorusException($"{name} returned maps of {attr.shape[2]}x{attr.shape[3]} px for images of {h}x{w} px; the ensemble compares maps with the images pixel by pixel (set the method's upsampling).");
                    }

                    Copy(attr, info.Space == MapSpace.Layer && attr.shape[1] == 1, buffers[name], start, h, w);
                }

                progress?.Report(new ExplainProgress(member, members, start + count, n, false));
            }

            // Written before the maps, so maps on disk always come with the steps that made them.
            if (others.Any(o => Adaptive(o.Method) is not null))
            {
                AtomicFile.WriteAllText(ConvergencePath(runDir, member), convergence.ToString());
            }

            foreach (var m in missing)
            {
                NpyArray.FromFloats(buffers[m], n, h, w).Save(MapsPath(runDir, m, member));
                result[m][member] = SaliencyMap.Split(buffers[m], n, h, w);
            }
        }

        return result;
    }

    // Integrated Gradients with a tolerance, also behind a precision wrapper (the model here is already lowered, so the
    // wrapper would pass the call straight through).
    private static IntegratedGradients? Adaptive(IAttributionMethod method) =>
        (method is PrecisionAttribution p ? p.Inner : method) is IntegratedGradients { Options.Tolerance: not null } ig ? ig : null;

    private void Copy(Tensor attributions, bool layerMap, float[] buffer, int start, int h, int w)
    {
        using var scope = NewDisposeScope();
        var map = layerMap ? attributions.sum(1) : SaliencyMaps.Reduce(attributions, _reduction);
        var data = map.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        if (data.Any(v => !float.IsFinite(v)))
        {
            throw new ChorusException("An attribution map contains NaN or infinite values; check the model and the input images.");
        }

        Array.Copy(data, 0, buffer, (long)start * h * w, data.Length);
    }

    private static bool TryLoad(string runDir, string method, int member, int n, int h, int w, out SaliencyMap[] maps)
    {
        maps = [];
        var path = MapsPath(runDir, method, member);
        if (!File.Exists(path))
        {
            return false;
        }

        maps = SaliencyMap.LoadStack(path, n, h, w);
        return true;
    }

}
