using Chorus.Torch.Onnx;
using Onnx;
using static TorchSharp.torch;

namespace Chorus.Torch.Models;

/// <summary>
/// An imported ONNX graph (<see cref="OnnxModel"/>) as a feature backbone. Stages are groups of nodes by the
/// spatial size of their output at the declared input size (for ResNet-18 at 224: 112 stem, 56 layer1,
/// 28 layer2, 14 layer3, 7 layer4); nodes with non-4-D outputs belong to the last stage.
/// </summary>
public sealed class OnnxFeatureBackbone : IFeatureBackbone, ISplittableBackbone
{
    private readonly OnnxModel _model;

    private OnnxFeatureBackbone(OnnxModel model, IReadOnlyList<IReadOnlyList<string>> stages)
    {
        _model = model;
        Stages = stages;
    }

    /// <summary>The imported graph.</summary>
    public OnnxModel Model => _model;

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor> Module => _model;

    /// <inheritdoc />
    public int FeatureDim => _model.NumClasses;

    /// <inheritdoc />
    public IReadOnlyList<string> LayerNames => _model.LayerNames;

    /// <inheritdoc />
    public string DefaultCamLayer => _model.DefaultCamLayer;

    /// <inheritdoc />
    public IReadOnlyList<IReadOnlyList<string>> Stages { get; }

    /// <summary>Imports <paramref name="path"/> (see <see cref="OnnxModel.Load(string, OnnxLoadOptions?)"/>) and finds its stages.</summary>
    public static OnnxFeatureBackbone Load(string path, OnnxLoadOptions? options = null)
    {
        var model = OnnxModel.Load(path, options ?? new OnnxLoadOptions(AnyImageSize: true));
        try
        {
            return new OnnxFeatureBackbone(model, FindStages(path, model));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public Tensor Features(Tensor input, string? layer, out Tensor? activation)
    {
        if (layer is null)
        {
            activation = null;
            return _model.call(input);
        }

        var y = _model.Forward(input, layer, out var act);
        activation = act;
        return y;
    }

    /// <inheritdoc />
    public string? FindCut(int stages)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stages);
        return _model.FindCut(stages >= Stages.Count ? [] : [.. Stages[stages]]);
    }

    /// <inheritdoc />
    public Tensor ForwardTo(Tensor input, string cut) => _model.ForwardTo(input, cut);

    /// <inheritdoc />
    public IReadOnlyList<string> TrunkState(string cut) => _model.TrunkState(cut);

    /// <inheritdoc />
    public Tensor FeaturesFrom(string cut, Tensor value) => _model.ForwardFrom(cut, value);

    /// <inheritdoc />
    public void Dispose() => _model.Dispose();

    private static IReadOnlyList<IReadOnlyList<string>> FindStages(string path, OnnxModel model)
    {
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        var parameters = new HashSet<string>(model.named_parameters().Select(p => p.name), StringComparer.Ordinal);
        var shapes = model.TensorShapes;
        static long Area(long[] s) => s.Length == 4 ? s[2] * s[3] : -1;

        // Node order is topological in exported files; sizes in order of first appearance, largest first.
        var sizes = graph.Node.SelectMany(n => n.Output).Where(shapes.ContainsKey).Select(o => Area(shapes[o])).Where(a => a > 0)
            .Distinct().OrderByDescending(a => a).ToList();
        var stages = sizes.Select(_ => new List<string>()).ToList();
        if (stages.Count == 0)
        {
            stages.Add([]);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            var output = node.Output.FirstOrDefault(shapes.ContainsKey);
            if (output is null)
            {
                continue;
            }

            var area = Area(shapes[output]);
            var stage = area > 0 ? sizes.IndexOf(area) : stages.Count - 1;
            foreach (var input in node.Input)
            {
                var name = new string(input.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_' ? ch : '_').ToArray());
                if (parameters.Contains(name) && seen.Add(name))
                {
                    stages[stage].Add(name);
                }
            }
        }

        return stages.Where(s => s.Count > 0).Select(s => (IReadOnlyList<string>)s).ToList();
    }
}
