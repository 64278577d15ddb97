using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Chorus.Torch.Models;

/// <summary>
/// The default backbone: four conv blocks (conv 3×3 → BatchNorm → ReLU, max-pool 2 after the first three),
/// global pooling (max by default: small evidence such as a beak must not be averaged away) and a linear head. Small enough that an 11-member ensemble trains in minutes on
/// two CPU cores. Checkpoint names follow PyTorch conventions: <c>features.block1.conv.weight</c>, <c>head.weight</c>.
/// </summary>
/// <remarks>
/// Named layers (for Grad-CAM): <c>block1</c> … <c>block4</c> (the last conv block, at 1/8 of the input size, is the
/// default CAM layer) and <c>pooled</c> (the [N,C] features the head reads, before dropout).
/// With <see cref="Dropout"/> p &gt; 0, dropout acts on the pooled features before the head in train mode only (eval
/// mode: the identity); it has no parameters, so the checkpoint's names are the same with and without it.
/// </remarks>
public sealed class SmallCnn : Module<Tensor, Tensor>, IClassifier, IResettableHead, ILinearHead
{
    /// <summary>Names of the layers <see cref="Forward(Tensor, string, out Tensor)"/> can return.</summary>
    public static readonly IReadOnlyList<string> Layers = ["block1", "block2", "block3", "block4", "pooled"];

    [ComponentName(Name = "features")]
    private readonly ModuleDict<Module<Tensor, Tensor>> _features;

    [ComponentName(Name = "head")]
    private readonly Linear _head;

    private readonly ConvBlock _block1;
    private readonly ConvBlock _block2;
    private readonly ConvBlock _block3;
    private readonly ConvBlock _block4;
    private readonly bool _maxPool;
    private readonly double _dropout;

    /// <summary>Builds the network with the given widths (default 16, 32, 64, 64) for <paramref name="numClasses"/> classes.</summary>
    /// <param name="numClasses">Number of classes K.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="widths">Channels of the four blocks.</param>
    /// <param name="globalMaxPool">Global max pooling (default) or global average pooling before the head.</param>
    /// <param name="dropout">Dropout probability p on the pooled features in train mode, 0 ≤ p &lt; 1; 0 (default): none.</param>
    public SmallCnn(int numClasses, int inChannels = 3, int[]? widths = null, bool globalMaxPool = true, double dropout = 0)
        : base(nameof(SmallCnn))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The dropout probability must be in [0, 1).");
        }

        widths ??= [16, 32, 64, 64];
        NumClasses = numClasses;
        Widths = widths;
        var blocks = CreateBlocks(inChannels, widths);
        _block1 = blocks[0];
        _block2 = blocks[1];
        _block3 = blocks[2];
        _block4 = blocks[3];
        _maxPool = globalMaxPool;
        _dropout = dropout;
        _features = new ModuleDict<Module<Tensor, Tensor>>();
        _features.Add(("block1", _block1));
        _features.Add(("block2", _block2));
        _features.Add(("block3", _block3));
        _features.Add(("block4", _block4));
        _head = Linear(widths[3], numClasses);
        RegisterComponents();
    }

    /// <inheritdoc />
    public Module Module => this;

    /// <inheritdoc />
    public int NumClasses { get; }

    /// <summary>Channel widths of the three blocks.</summary>
    public int[] Widths { get; }

    /// <summary>Dropout probability on the head's input in train mode (0: none).</summary>
    public double Dropout => _dropout;

    /// <inheritdoc />
    public IReadOnlyList<string> LayerNames => Layers;

    /// <inheritdoc />
    public string DefaultCamLayer => "block4";

    /// <summary>The classification head (re-initialised per ensemble member).</summary>
    public Linear Head => _head;

    /// <inheritdoc />
    public string HeadInputLayer => "pooled";

    /// <summary>Re-initialises the head as PyTorch's <c>nn.Linear</c> does, from the given generator.</summary>
    public void ResetHead(Generator generator) => LinearHeads.Reset(_head, generator);

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Run(input, null, out _);

    /// <inheritdoc />
    public Tensor Forward(Tensor input) => call(input);

    /// <inheritdoc />
    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        if (!Layers.Contains(layer))
        {
            throw new ArgumentException($"Unknown layer '{layer}'. SmallCnn layers: {string.Join(", ", Layers)}.", nameof(layer));
        }

        var logits = Run(input, layer, out var act);
        activation = act!;
        return logits;
    }

    private Tensor Run(Tensor input, string? layer, out Tensor? activation)
    {
        CheckInput(input);
        activation = null;
        using var scope = NewDisposeScope();
        var x1 = _block1.call(input);
        var x2 = _block2.call(x1);
        var x3 = _block3.call(x2);
        var x4 = _block4.call(x3);
        var pooled = _maxPool ? x4.amax([2, 3]) : x4.mean([2, 3]);
        // No dropout call at all when p = 0, so training draws the same random numbers as before the option existed.
        var logits = _head.call(_dropout > 0 ? functional.dropout(pooled, _dropout, training) : pooled);
        var captured = layer switch
        {
            "block1" => x1,
            "block2" => x2,
            "block3" => x3,
            "block4" => x4,
            "pooled" => pooled,
            _ => null,
        };
        if (captured is not null)
        {
            activation = captured.MoveToOuterDisposeScope();
        }

        return logits.MoveToOuterDisposeScope();
    }

    private void CheckInput(Tensor input)
    {
        if (input.dim() != 4)
        {
            throw new ArgumentException($"SmallCnn expects images [N,C,H,W]; got shape [{string.Join(",", input.shape)}].", nameof(input));
        }
    }

    /// <summary>
    /// The four blocks <c>block1</c> … <c>block4</c> of <paramref name="widths"/> channels, max-pooled after the first three
    /// (created in that order, so they draw their initial weights in that order): SmallCnn's and <see cref="SmallCnnBackbone"/>'s.
    /// </summary>
    /// <exception cref="ArgumentException">Not four positive widths.</exception>
    internal static ConvBlock[] CreateBlocks(int inChannels, int[] widths)
    {
        if (widths.Length != 4 || widths.Any(w => w < 1))
        {
            throw new ArgumentException("SmallCnn needs four positive widths.", nameof(widths));
        }

        return
        [
            new ConvBlock("block1", inChannels, widths[0], pool: true),
            new ConvBlock("block2", widths[0], widths[1], pool: true),
            new ConvBlock("block3", widths[1], widths[2], pool: true),
            new ConvBlock("block4", widths[2], widths[3], pool: false),
        ];
    }

    /// <summary>conv 3×3 (padding 1, no bias) → BatchNorm → ReLU → optional max-pool 2.</summary>
    internal sealed class ConvBlock : Module<Tensor, Tensor>
    {
        [ComponentName(Name = "conv")]
        private readonly Conv2d _conv;

        [ComponentName(Name = "bn")]
        private readonly BatchNorm2d _bn;

        private readonly bool _pool;

        public ConvBlock(string name, int inChannels, int outChannels, bool pool)
            : base(name)
        {
            _conv = Conv2d(inChannels, outChannels, 3, padding: 1, bias: false);
            _bn = BatchNorm2d(outChannels);
            _pool = pool;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var y = functional.relu(_bn.call(_conv.call(input)));
            if (_pool)
            {
                y = functional.max_pool2d(y, 2);
            }

            return y.MoveToOuterDisposeScope();
        }
    }
}
