using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Chorus.Torch.Models;

/// <summary>
/// <see cref="SmallCnn"/>'s four conv blocks and its global max pooling as a feature backbone, so that a
/// <see cref="BackboneClassifier"/> can freeze its first blocks and split there (<c>--backbone small-cnn --train-stages N</c>,
/// <see cref="Training.EnsembleKind.FrozenTrunk"/>). Same layers and computation as SmallCnn; parameter names
/// <c>block1.conv.weight</c> … (under the classifier: <c>backbone.block1.conv.weight</c>). Stages: block1 … block4.
/// </summary>
public sealed class SmallCnnBackbone : Module<Tensor, Tensor>, IFeatureBackbone, ISplittableBackbone
{
    private static readonly string[] Blocks = ["block1", "block2", "block3", "block4"];
    private readonly SmallCnn.ConvBlock[] _blocks;

    /// <param name="widths">Channels of the four blocks (default 16, 32, 64, 64).</param>
    /// <param name="inChannels">Input channels.</param>
    public SmallCnnBackbone(int[]? widths = null, int inChannels = 3)
        : base(nameof(SmallCnnBackbone))
    {
        widths ??= [16, 32, 64, 64];
        _blocks = SmallCnn.CreateBlocks(inChannels, widths);
        for (var b = 0; b < _blocks.Length; b++)
        {
            register_module(Blocks[b], _blocks[b]);
        }

        FeatureDim = widths[3];
        var names = named_parameters().Select(p => p.name).ToList();
        Stages = [.. Blocks.Select(b => (IReadOnlyList<string>)names.Where(n => n.StartsWith(b + ".", StringComparison.Ordinal)).ToList())];
    }

    /// <inheritdoc />
    public Module<Tensor, Tensor> Module => this;

    /// <inheritdoc />
    public int FeatureDim { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> LayerNames => Blocks;

    /// <inheritdoc />
    public string DefaultCamLayer => "block4";

    /// <inheritdoc />
    public IReadOnlyList<IReadOnlyList<string>> Stages { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Features(input, null, out _);

    /// <inheritdoc />
    public Tensor Features(Tensor input, string? layer, out Tensor? activation)
    {
        if (layer is not null && !Blocks.Contains(layer))
        {
            throw new ArgumentException($"Unknown layer '{layer}'. small-cnn layers: {string.Join(", ", Blocks)}.", nameof(layer));
        }

        activation = null;
        using var scope = NewDisposeScope();
        var x = input;
        for (var b = 0; b < _blocks.Length; b++)
        {
            x = _blocks[b].call(x);
            if (Blocks[b] == layer)
            {
                activation = x;
            }
        }

        activation = activation?.MoveToOuterDisposeScope();
        return x.amax([2, 3]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public string? FindCut(int stages) => stages is >= 1 and <= 4 ? Blocks[stages - 1] : null;

    /// <inheritdoc />
    public Tensor ForwardTo(Tensor input, string cut)
    {
        var end = BlockIndex(cut);
        using var scope = NewDisposeScope();
        var x = input;
        for (var b = 0; b <= end; b++)
        {
            x = _blocks[b].call(x);
        }

        return x.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> TrunkState(string cut)
    {
        var end = BlockIndex(cut);
        var prefixes = Blocks.Take(end + 1).Select(b => b + ".").ToList();
        return [.. state_dict().Keys.Where(k => prefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public Tensor FeaturesFrom(string cut, Tensor value)
    {
        var start = BlockIndex(cut) + 1;
        using var scope = NewDisposeScope();
        var x = value;
        for (var b = start; b < _blocks.Length; b++)
        {
            x = _blocks[b].call(x);
        }

        return x.amax([2, 3]).MoveToOuterDisposeScope();
    }

    private static int BlockIndex(string cut) =>
        Array.IndexOf(Blocks, cut) is >= 0 and var i ? i : throw new ArgumentException($"'{cut}' is not a small-cnn block ({string.Join(", ", Blocks)}).", nameof(cut));
}
