using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Chorus.Torch.Models;

/// <summary>A classifier whose logits are one linear head on a named layer of [N,F] features.</summary>
public interface ILinearHead
{
    /// <summary>The classification head.</summary>
    Linear Head { get; }

    /// <summary>The layer (<see cref="IClassifier.Forward(Tensor, string, out Tensor)"/>) whose [N,F] activation the head reads.</summary>
    string HeadInputLayer { get; }
}

/// <summary>
/// One body and n heads (<see cref="Training.EnsembleKind.MultiHead"/>): a single forward pass of the body gives every
/// head's logits, [N, n, K]. Head k on the body is exactly the classifier "body with its head replaced by head k"
/// (<see cref="CopyHeadInto"/>), which is how the members are saved. The heads are registered as <c>heads.0</c> … so the
/// module's parameters are the body's and all heads'. Disposing it does not dispose the body.
/// </summary>
public sealed class MultiHeadClassifier : Module<Tensor, Tensor>
{
    private readonly IClassifier _body;
    private readonly ILinearHead _linear;
    private readonly ModuleList<Linear> _heads;

    /// <param name="body">The shared classifier (its own head is not used).</param>
    /// <param name="heads">n, at least 1.</param>
    public MultiHeadClassifier(IClassifier body, int heads)
        : base(nameof(MultiHeadClassifier))
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        _body = body;
        _linear = body as ILinearHead ?? throw new ArgumentException($"{body.GetType().Name} has no linear head on [N,F] features to multiply (ILinearHead).", nameof(body));
        var inFeatures = _linear.Head.weight!.shape[1];
        _heads = new ModuleList<Linear>();
        for (var k = 0; k < heads; k++)
        {
            _heads.Add(Linear(inFeatures, body.NumClasses));
        }

        register_module("body", body.Module);
        register_module("heads", _heads);
    }

    /// <summary>The shared body.</summary>
    public IClassifier Body => _body;

    /// <summary>n.</summary>
    public int Count => _heads.Count;

    /// <summary>Head <paramref name="k"/>.</summary>
    public Linear HeadAt(int k) => _heads[k];

    /// <summary>Every head's parameters.</summary>
    public IEnumerable<Parameter> HeadParameters() => _heads.parameters();

    /// <summary>Re-initialises head k as PyTorch's <c>nn.Linear</c> does, from <paramref name="generator"/> (the member's own seed).</summary>
    public void ResetHead(int k, Generator generator) => LinearHeads.Reset(_heads[k], generator);

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Logits(_body, input);

    /// <summary>
    /// Every head's logits [N, n, K] from one pass of <paramref name="body"/>: the body itself, or a view of it that runs the
    /// same weights (<see cref="ChannelsLastClassifier"/>).
    /// </summary>
    public Tensor Logits(IClassifier body, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var scope = NewDisposeScope();
        body.Forward(input, _linear.HeadInputLayer, out var features);
        if (features.dim() != 2)
        {
            throw new InvalidOperationException($"Layer '{_linear.HeadInputLayer}' gave [{string.Join(",", features.shape)}], not [N,F] features.");
        }

        // The body's own dropout on the head input (train mode only), as its own head would see it; the same mask for all heads.
        var p = Explaining.McDropout.DropoutOf(body);
        if (p > 0 && _body.Module.training)
        {
            features = functional.dropout(features, p, true);
        }

        return stack(_heads.Select(h => h.call(features)), 1).MoveToOuterDisposeScope();
    }

    /// <summary>Copies head <paramref name="k"/>'s weights into the body's own head: the body is then member k.</summary>
    public void CopyHeadInto(int k)
    {
        using var noGrad = no_grad();
        _linear.Head.weight!.copy_(_heads[k].weight!);
        _linear.Head.bias!.copy_(_heads[k].bias!);
    }
}
