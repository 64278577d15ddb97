using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Chorus.Torch.Models;

/// <summary>How RGB images in [0,1] (the input of every Chorus model) become a backbone's input.</summary>
public enum InputPreprocessing
{
    /// <summary>Unchanged.</summary>
    None,

    /// <summary>TorchVision convention: RGB, (x − mean) / std with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).</summary>
    ImageNetRgb,

    /// <summary>CNTK/Caffe convention of the ImageNet ResNet-18 ONNX file: BGR, 0–255, minus the mean (see <see cref="ImageNetPreprocessing.ResNet18Input"/>).</summary>
    Bgr255MeanSubtracted,
}

/// <summary>
/// A classifier made of preprocessing (RGB [0,1] → the backbone's input convention), a feature backbone
/// (ONNX graph or TorchVision architecture), global average pooling when the features are 4-D, and a linear head.
/// State-dict keys: <c>backbone.*</c> (the backbone's own names) and <c>head.weight</c>, <c>head.bias</c>.
/// </summary>
/// <remarks>
/// Layer names are the backbone's tensors plus <c>features</c> (the pooled [N,F] the head reads). Stages the
/// options leave frozen get <c>requires_grad = false</c> and stay in eval mode (frozen BatchNorm statistics)
/// when the classifier is put in train mode. With <see cref="Dropout"/> p &gt; 0, dropout acts on the pooled features
/// before the head in train mode only; it has no parameters, so the state-dict keys are the same with and without it.
/// </remarks>
public sealed class BackboneClassifier : Module<Tensor, Tensor>, IClassifier, IResettableHead, IHasHead, ILinearHead
{
    /// <summary>Name of the pooled features layer.</summary>
    public const string FeaturesLayer = "features";

    private readonly Module<Tensor, Tensor> _backbone;
    private readonly Linear _head;
    private readonly IFeatureBackbone _source;
    private readonly string[] _layers;
    private readonly HashSet<string> _frozen;
    private readonly double _dropout;

    /// <param name="backbone">The feature extractor; the classifier owns and disposes it.</param>
    /// <param name="numClasses">K.</param>
    /// <param name="preprocessing">How RGB [0,1] images become the backbone's input.</param>
    /// <param name="trainStages">
    /// How many of the backbone's last stages are trained: 0 freezes the whole backbone (only the head trains),
    /// 1 the last stage (e.g. ResNet layer4), …; <c>null</c> (default): all of them.
    /// </param>
    /// <param name="dropout">Dropout probability p on the pooled features in train mode, 0 ≤ p &lt; 1; 0 (default): none.</param>
    public BackboneClassifier(IFeatureBackbone backbone, int numClasses, InputPreprocessing preprocessing, int? trainStages = null, double dropout = 0)
        : base(nameof(BackboneClassifier))
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The dropout probability must be in [0, 1).");
        }

        if (trainStages is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(trainStages), trainStages, "The number of trained stages must be 0 or more.");
        }

        _source = backbone;
        _backbone = backbone.Module;
        NumClasses = numClasses;
        Preprocessing = preprocessing;
        TrainStages = trainStages;
        _dropout = dropout;
        _layers = [.. backbone.LayerNames, FeaturesLayer];
        _head = Linear(backbone.FeatureDim, numClasses);
        register_module("backbone", _backbone);
        register_module("head", _head);

        var frozenStages = trainStages is { } t ? Math.Max(0, backbone.Stages.Count - t) : 0;
        TrunkCut = frozenStages > 0 && backbone is ISplittableBackbone split ? split.FindCut(frozenStages) : null;
        _frozen = new HashSet<string>(backbone.Stages.Take(frozenStages).SelectMany(s => s), StringComparer.Ordinal);
        // Parameters in no stage (e.g. a TorchVision ResNet's unused fc) keep the backbone's own setting.
        var staged = new HashSet<string>(backbone.Stages.SelectMany(s => s), StringComparer.Ordinal);
        foreach (var (name, p) in _backbone.named_parameters().Where(p => staged.Contains(p.name)))
        {
            p.requires_grad = trainStages != 0 && !_frozen.Contains(name);
        }
    }

    /// <inheritdoc />
    public Module Module => this;

    /// <inheritdoc />
    public int NumClasses { get; }

    /// <summary>The input conversion applied before the backbone.</summary>
    public InputPreprocessing Preprocessing { get; }

    /// <summary>Trained backbone stages (<c>null</c>: all).</summary>
    public int? TrainStages { get; }

    /// <summary>Dropout probability on the head's input in train mode (0: none).</summary>
    public double Dropout => _dropout;

    /// <summary>
    /// The backbone tensor that ends the frozen trunk (the frozen stages; with no trained stage, the features), when the
    /// backbone can run in two parts there (<see cref="ISplittableBackbone"/>); otherwise null. The trunk's output depends on
    /// the image only, so a trainer can compute it once (<see cref="TrunkForward"/>) and train from it (<see cref="ForwardFromTrunk"/>).
    /// </summary>
    public string? TrunkCut { get; }

    /// <summary>The frozen trunk's output for RGB images in [0,1] (no gradients; requires <see cref="TrunkCut"/>).</summary>
    public Tensor TrunkForward(Tensor rgb)
    {
        var cut = TrunkCut ?? throw new InvalidOperationException("This classifier has no frozen trunk to split off.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Preprocess(rgb, Preprocessing);
        return ((ISplittableBackbone)_source).ForwardTo(x, cut).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As <see cref="TrunkForward"/>, but part of the autograd graph (gradients flow back to <paramref name="rgb"/>): the
    /// shared-trunk explanation (<see cref="Explaining.SharedTrunkExplainer"/>) runs the trunk's backward once for all heads.
    /// </summary>
    internal Tensor TrunkGraph(Tensor rgb)
    {
        var cut = TrunkCut ?? throw new InvalidOperationException("This classifier has no frozen trunk to split off.");
        using var scope = NewDisposeScope();
        var x = Preprocess(rgb, Preprocessing);
        return ((ISplittableBackbone)_source).ForwardTo(x, cut).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Names and values of every backbone parameter and buffer the frozen trunk reads (<see cref="ISplittableBackbone.TrunkState"/>;
    /// requires <see cref="TrunkCut"/>). The tensors are the model's own: do not dispose them.
    /// </summary>
    public IReadOnlyList<(string Name, Tensor Value)> TrunkState()
    {
        var cut = TrunkCut ?? throw new InvalidOperationException("This classifier has no frozen trunk to split off.");
        var state = _backbone.state_dict();
        return ((ISplittableBackbone)_source).TrunkState(cut).Select(name => (name, state[name])).ToList();
    }

    /// <summary>Logits from the frozen trunk's output (<see cref="TrunkForward"/>): the trained stages, pooling and the head.</summary>
    public Tensor ForwardFromTrunk(Tensor trunk)
    {
        var cut = TrunkCut ?? throw new InvalidOperationException("This classifier has no frozen trunk to split off.");
        using var scope = NewDisposeScope();
        var features = Pool(((ISplittableBackbone)_source).FeaturesFrom(cut, trunk));
        return _head.call(DropOut(features)).MoveToOuterDisposeScope();
    }

    /// <summary>The feature extractor.</summary>
    public IFeatureBackbone Backbone => _source;

    /// <summary>The classification head.</summary>
    public Linear Head => _head;

    /// <inheritdoc />
    public string HeadInputLayer => FeaturesLayer;

    /// <inheritdoc />
    public IReadOnlyList<string> LayerNames => _layers;

    /// <inheritdoc />
    public string DefaultCamLayer => _source.DefaultCamLayer;

    /// <inheritdoc />
    public IEnumerable<Parameter> HeadParameters() => _head.parameters();

    /// <summary>Re-initialises the head as PyTorch's <c>nn.Linear</c> does, from the given generator.</summary>
    public void ResetHead(Generator generator) => LinearHeads.Reset(_head, generator);

    /// <summary>Train or eval mode; frozen backbone stages stay in eval mode.</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        if (on && (TrainStages == 0 || _frozen.Count > 0))
        {
            foreach (var (name, module) in _backbone.named_modules())
            {
                var own = module.named_parameters(recurse: false).Select(p => string.IsNullOrEmpty(name) ? p.name : $"{name}.{p.name}").ToList();
                if (own.Count > 0 && own.All(p => TrainStages == 0 || _frozen.Contains(p)))
                {
                    module.eval();
                }
            }
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Run(input, null, out _);

    /// <inheritdoc />
    public Tensor Forward(Tensor input) => call(input);

    /// <inheritdoc />
    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!_layers.Contains(layer))
        {
            throw new ArgumentException($"Unknown layer '{layer}'. This backbone's layers: {string.Join(", ", _layers.TakeLast(8))} (and {Math.Max(0, _layers.Length - 8)} earlier).", nameof(layer));
        }

        var logits = Run(input, layer, out var act);
        activation = act!;
        return logits;
    }

    /// <summary>The backbone input for RGB images in [0,1] under <paramref name="preprocessing"/> (differentiable; the caller owns it).</summary>
    public static Tensor Preprocess(Tensor rgb, InputPreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.dim() != 4)
        {
            throw new ArgumentException($"Expected images [N,C,H,W]; got [{string.Join(",", rgb.shape)}].", nameof(rgb));
        }

        switch (preprocessing)
        {
            case InputPreprocessing.None:
                return rgb.alias();
            case InputPreprocessing.Bgr255MeanSubtracted:
                return ImageNetPreprocessing.ResNet18Input(rgb);
            default:
                {
                    using var scope = NewDisposeScope();
                    var mean = tensor(new[] { 0.485f, 0.456f, 0.406f }, [1, 3, 1, 1], rgb.dtype, rgb.device);
                    var std = tensor(new[] { 0.229f, 0.224f, 0.225f }, [1, 3, 1, 1], rgb.dtype, rgb.device);
                    return ((rgb - mean) / std).MoveToOuterDisposeScope();
                }
        }
    }

    private Tensor Run(Tensor input, string? layer, out Tensor? activation)
    {
        activation = null;
        using var scope = NewDisposeScope();
        var x = Preprocess(input, Preprocessing);
        var inner = layer is null or FeaturesLayer ? null : layer;
        var features = Pool(_source.Features(x, inner, out var act));
        var logits = _head.call(DropOut(features));
        if (layer == FeaturesLayer)
        {
            activation = features.MoveToOuterDisposeScope();
        }
        else if (act is not null)
        {
            activation = act.MoveToOuterDisposeScope();
        }

        return logits.MoveToOuterDisposeScope();
    }

    // No dropout call at all when p = 0, so training draws the same random numbers as before the option existed.
    private Tensor DropOut(Tensor features) => _dropout > 0 ? functional.dropout(features, _dropout, training) : features;

    private static Tensor Pool(Tensor features) =>
        features.dim() == 4 ? features.mean([2, 3]) : features.dim() != 2 ? features.flatten(1) : features;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A classifier whose head parameters can be told apart from the backbone's (for separate learning rates).</summary>
public interface IHasHead
{
    /// <summary>The head's parameters; every other trainable parameter is the backbone's.</summary>
    IEnumerable<Parameter> HeadParameters();
}
