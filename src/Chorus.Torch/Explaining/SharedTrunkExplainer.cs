using System.Globalization;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Explaining;

/// <summary>
/// The ensemble-averaged (Ens-Avg) signed gradient, Input×Gradient and Integrated Gradients of members that share one frozen
/// trunk (<see cref="BackboneClassifier.TrunkCut"/>, e.g. <c>--train-stages 1</c> on <c>resnet18-imagenet</c>: stem and
/// layer1–layer3 shared, layer4 and the head per member), with ONE trunk forward and ONE trunk backward per pass instead of
/// one per member.
/// </summary>
/// <remarks>
/// <para>With f_m = H_m ∘ T, ∂/∂x (1/n) Σ_m f_m(x)_t = J_T(x)ᵀ · (1/n) Σ_m ∂H_m/∂z at z = T(x). So the trunk runs forward
/// once, each head runs forward and backward to z (one head's graph alive at a time), the head gradients are averaged, and
/// the trunk's backward runs once on that average. The result equals the mean of the members' own signed input gradients
/// to float rounding; Input×Gradient (x ⊙ g) and Integrated Gradients (same baseline, rule and steps: a weighted sum of
/// gradients times x − x') are linear in the gradient, so they equal the mean of the members' own attributions too.</para>
/// <para>What it does NOT give: anything nonlinear in one member's attribution before averaging. Captum's default Saliency
/// takes |∂f/∂x| per member (the mean of absolute values is not the absolute value of the mean); the study's channel
/// reductions (<see cref="MapReduction.SumAbs"/>, <see cref="MapReduction.MaxAbs"/>, <see cref="MapReduction.L2"/>) are
/// nonlinear too. Reducing this explainer's output gives the study's Ens-Avg map only where the study reduces after
/// averaging or reduces linearly (<see cref="MapReduction.Sum"/> of signed Input×Gradient or IG, or Saliency with
/// <see cref="SaliencyOptions.Abs"/> = false and <see cref="MapReduction.Sum"/>): the study's per-member path reduces each
/// member's map before averaging, so with its default SumAbs the two differ. Exp-Avg (each member's own map scored)
/// needs the per-member maps by definition; Gradient SHAP draws its random points per member; Grad-CAM averages per-member
/// layer maps after a ReLU. None of those come from here.</para>
/// <para>Float32 only. Members are checked for one trunk when created (same cut, preprocessing, classes, and bit-identical
/// trunk parameters and buffers); put them in eval mode first, as for every method. Each call runs the numerics model check
/// on the first member (<see cref="NumericsGuard.CheckModel"/>, once per size and layout in a process, as the ensemble
/// explainer does) and takes every backward under <see cref="NumericsGuard"/>. With <see cref="MemoryLayout.ChannelsLast"/>
/// each call borrows every member channels-last (<see cref="ChannelsLastClassifier"/>) and gives it back afterwards. Memory:
/// one trunk graph and one head graph at a time, as one member's pass.</para>
/// </remarks>
public sealed class SharedTrunkExplainer
{
    private readonly BackboneClassifier[] _members;

    /// <param name="members">The members: one frozen trunk (same weights), each its own head (trained stages + classifier).</param>
    /// <param name="layout">Memory order of the passes. Default: channels-last, as <see cref="AttributionSettings.Layout"/>.</param>
    /// <exception cref="ArgumentException">No members, a member without a trunk cut, or members whose trunks differ; the message names the member and the tensor.</exception>
    public SharedTrunkExplainer(IReadOnlyList<BackboneClassifier> members, MemoryLayout layout = MemoryLayout.ChannelsLast)
    {
        CheckSharedTrunk(members);
        if (!Enum.IsDefined(layout))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown memory layout.");
        }

        _members = [.. members];
        Layout = layout;
    }

    /// <summary>Number of members n.</summary>
    public int Members => _members.Length;

    /// <summary>Memory order of the passes.</summary>
    public MemoryLayout Layout { get; }

    /// <summary>
    /// Throws unless every member has the same frozen trunk as the first: a trunk cut, the same cut tensor, preprocessing,
    /// backbone type and class count, and bit-identical parameters and buffers for every tensor the trunk reads
    /// (<see cref="BackboneClassifier.TrunkState"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The first difference found, naming the member and the tensor.</exception>
    public static void CheckSharedTrunk(IReadOnlyList<BackboneClassifier> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
        {
            throw new ArgumentException("A shared-trunk explanation needs at least one member.", nameof(members));
        }

        for (var m = 0; m < members.Count; m++)
        {
            if (members[m] is null)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Member {m} is null."), nameof(members));
            }

            if (members[m].TrunkCut is null)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Member {m} has no frozen trunk to share (BackboneClassifier.TrunkCut is null: all stages trained, or a backbone that does not split)."), nameof(members));
            }
        }

        var first = members[0];
        var reference = first.TrunkState();
        using var scope = NewDisposeScope();
        for (var m = 1; m < members.Count; m++)
        {
            var other = members[m];
            string? Differs() =>
                other.TrunkCut != first.TrunkCut ? $"its trunk ends at '{other.TrunkCut}', member 0's at '{first.TrunkCut}'"
                : other.Preprocessing != first.Preprocessing ? $"its preprocessing is {other.Preprocessing}, member 0's {first.Preprocessing}"
                : other.Backbone.GetType() != first.Backbone.GetType() ? $"its backbone is a {other.Backbone.GetType().Name}, member 0's a {first.Backbone.GetType().Name}"
                : other.NumClasses != first.NumClasses ? $"it has {other.NumClasses} classes, member 0 {first.NumClasses}"
                : null;
            if (Differs() is { } why)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Member {m} does not share member 0's trunk: {why}."), nameof(members));
            }

            if (ReferenceEquals(other, first))
            {
                continue;
            }

            var state = other.TrunkState();
            if (state.Count != reference.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Member {m} does not share member 0's trunk: it reads {state.Count} tensors, member 0's {reference.Count}."), nameof(members));
            }

            for (var k = 0; k < state.Count; k++)
            {
                var (name, a) = reference[k];
                var b = state[k].Value;
                if (state[k].Name != name || !a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype || !a.eq(b).all().item<bool>())
                {
                    var detail = state[k].Name != name || !a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype
                        ? $"'{state[k].Name}' [{string.Join(",", b.shape)}] {b.dtype} against '{name}' [{string.Join(",", a.shape)}] {a.dtype}"
                        : string.Create(CultureInfo.InvariantCulture, $"'{name}' differs (max |difference| {(a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max().item<double>():G3})");
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Member {m} does not share member 0's trunk: backbone tensor {detail}. A shared-trunk explanation needs one frozen trunk with identical weights; explain such members one by one (EnsembleExplainer)."), nameof(members));
                }
            }
        }
    }

    /// <summary>
    /// (1/n) Σ_m ∂f_m(x)_t/∂x: the mean of the members' signed gradients (<see cref="Attribution.Saliency"/> with
    /// <see cref="SaliencyOptions.Abs"/> = false), [N,C,H,W]. The caller owns the result.
    /// </summary>
    public Tensor Gradient(Tensor input, Tensor target) => Run(input, target, new Saliency(new SaliencyOptions(Abs: false)));

    /// <summary>(1/n) Σ_m x ⊙ ∂f_m(x)_t/∂x: the mean of the members' <see cref="Attribution.InputXGradient"/>, [N,C,H,W]. The caller owns the result.</summary>
    public Tensor InputXGradient(Tensor input, Tensor target) => Run(input, target, new InputXGradient());

    /// <summary>
    /// The mean of the members' <see cref="Attribution.IntegratedGradients"/> with <paramref name="options"/> (same rule, steps,
    /// baseline and internal batching; the steps are chunked exactly as <see cref="Attribution.IntegratedGradients"/> chunks
    /// them), [N,C,H,W]. The caller owns the result.
    /// </summary>
    /// <exception cref="ArgumentException">An adaptive <see cref="IntegratedGradientsOptions.Tolerance"/>: each member would pick its own steps, so the mean is not one ensemble pass.</exception>
    public Tensor IntegratedGradients(Tensor input, Tensor target, IntegratedGradientsOptions? options = null)
    {
        options ??= new IntegratedGradientsOptions();
        if (options.Tolerance is not null)
        {
            throw new ArgumentException("Adaptive Integrated Gradients (Tolerance) picks steps per member; the shared-trunk mean needs fixed steps.", nameof(options));
        }

        return Run(input, target, new IntegratedGradients(options));
    }

    // The method runs on the ensemble as one classifier whose input gradient is the members' mean (SharedTrunkEnsemble):
    // its own step, chunking and accumulation logic, and its argument checks, apply unchanged.
    private Tensor Run(Tensor input, Tensor target, IAttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        AttributionGuard.CheckInputs(_members[0], input, target);

        // The trunk's own gradients in float32 against float64 (once per architecture, size and layout in a process).
        NumericsGuard.CheckModel(_members[0], input, target, Layout);
        var borrowed = new List<ChannelsLastClassifier>();
        try
        {
            if (Layout == MemoryLayout.ChannelsLast)
            {
                foreach (var member in _members.Distinct())
                {
                    borrowed.Add(new ChannelsLastClassifier(member));
                }
            }

            var ensemble = new SharedTrunkEnsemble(_members, Layout == MemoryLayout.ChannelsLast);
            return method.Attribute(ensemble, input, target);
        }
        finally
        {
            foreach (var b in borrowed)
            {
                b.Dispose();
            }
        }
    }
}

/// <summary>
/// Members sharing one frozen trunk as one classifier: logits (1/n) Σ_m H_m(T(x)), and an input gradient from one trunk
/// forward, n head forward+backward passes to the cut, and one trunk backward on the heads' mean gradient. Borrows the
/// members; disposing does nothing.
/// </summary>
internal sealed class SharedTrunkEnsemble : IClassifier, IInputGradientSource
{
    private readonly BackboneClassifier[] _members;
    private readonly bool _channelsLast;

    public SharedTrunkEnsemble(BackboneClassifier[] members, bool channelsLast)
    {
        _members = members;
        _channelsLast = channelsLast;
    }

    /// <summary>The trunk owner's module (member 0); the other members are not part of it.</summary>
    public nn.Module Module => _members[0].Module;

    public int NumClasses => _members[0].NumClasses;

    public IReadOnlyList<string> LayerNames => [];

    public string DefaultCamLayer => _members[0].DefaultCamLayer;

    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var z = _members[0].TrunkGraph(In(input));
        Tensor? sum = null;
        foreach (var member in _members)
        {
            var logits = member.ForwardFromTrunk(z);
            sum = sum is null ? logits : sum + logits;
        }

        return sum!.div(_members.Length).MoveToOuterDisposeScope();
    }

    public Tensor Forward(Tensor input, string layer, out Tensor activation) =>
        throw new ArgumentException($"The shared-trunk ensemble has no layer maps ('{layer}'): explain layers member by member.", nameof(layer));

    public Tensor TargetInputGradients(Tensor input, Tensor target)
    {
        using var scope = NewDisposeScope();
        using var grad = torch.enable_grad();
        var x = input.detach().requires_grad_(true);
        var z = _members[0].TrunkGraph(In(x));
        var cut = z.detach().requires_grad_(true);
        var headGrad = torch.zeros_like(cut);
        foreach (var member in _members)
        {
            using var head = NewDisposeScope();
            var score = Gradients.TargetScore(member.ForwardFromTrunk(cut), target);
            using (NumericsGuard.Backward())
            {
                headGrad.add_(torch.autograd.grad([score], [cut])[0]);
            }
        }

        headGrad.div_(_members.Length);
        using (NumericsGuard.Backward())
        {
            return torch.autograd.grad([z], [x], [headGrad])[0].MoveToOuterDisposeScope();
        }
    }

    public void Dispose()
    {
    }

    private Tensor In(Tensor x) => _channelsLast ? ChannelsLastClassifier.ToChannelsLast(x) : x.alias();
}
