using Chorus.Torch.Models;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Chorus.Torch.Onnx;

/// <summary>
/// An ONNX image classifier (or feature extractor) run with libtorch ops, so autograd flows through it:
/// gradients with respect to the input and to the weights. Float initializers are registered as
/// <see cref="Parameter"/>s (trainable), BatchNorm running statistics, integer initializers and
/// <c>Constant</c> nodes as buffers. Any ONNX tensor name can be read out with
/// <see cref="Forward(Tensor, string, out Tensor)"/>. Float32 only; BatchNormalization always uses its
/// running statistics and Dropout is the identity, in <c>train()</c> mode too.
/// </summary>
/// <remarks>
/// Batch size is dynamic even when the file fixes N=1: a Reshape whose constant target shape starts
/// with 1 follows the input's batch size. Load with <see cref="Load(string, OnnxLoadOptions?)"/>.
/// <see cref="LayerNames"/> holds the outputs of the nodes the output depends on (Constant nodes excluded).
/// Parameter and buffer names are the ONNX initializer names with characters other than letters, digits
/// and '_' replaced by '_' (e.g. <c>conv1.weight</c> → <c>conv1_weight</c>).
/// </remarks>
public sealed class OnnxModel : nn.Module<Tensor, Tensor>, IClassifier
{
    /// <summary>Limits on the declared input shape, so a corrupt file cannot ask for a huge probe allocation.</summary>
    private const long MaxProbeDim = 1 << 16;
    private const double MaxProbeElements = 1 << 26;

    private readonly string _path;
    private readonly string _inputName;
    private readonly long[] _inputShape;  // -1 for a symbolic dimension
    private readonly string _outputName;
    private readonly bool _flattenOutput;
    private readonly OnnxNode[] _nodes;
    private readonly Dictionary<string, string> _registered;        // ONNX tensor name -> parameter/buffer name
    private readonly Dictionary<string, int> _lastUse;               // tensor name -> index in _nodes of its last consumer
    private readonly HashSet<string> _batched;                       // tensors that depend on the graph input
    private readonly HashSet<string> _constant;                      // tensors computed from initializers/constants only
    private readonly HashSet<string> _layerSet;
    private readonly string[] _layerNames;

    private OnnxModel(string path, ModelProto model, OnnxLoadOptions options)
        : base(Path.GetFileNameWithoutExtension(path))
    {
        _path = path;
        try
        {
            _flattenOutput = options.FlattenOutput;
            var graph = model.Graph ?? throw Error("the file holds no graph");
            var opset = DefaultOpset(model);

            // Initializers and Constant nodes become parameters or buffers.
            var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
            foreach (var init in graph.Initializer)
            {
                initializers[init.Name] = init;
            }

            var input = graph.Input.FirstOrDefault(i => !initializers.ContainsKey(i.Name)) ?? throw Error("the graph has no (non-initializer) input");
            _inputName = input.Name;
            _inputShape = ReadInputShape(input);

            var all = graph.Node.Select((n, i) => new OnnxNode(n, i, opset)).ToArray();
            CheckOperators(all);
            _outputName = options.FeaturesTensor ?? graph.Output.FirstOrDefault()?.Name ?? throw Error("the graph has no output");
            var constants = all.Where(n => n.OpType == "Constant").ToArray();
            _nodes = KeepNeeded(Sort(all.Where(n => n.OpType != "Constant").ToArray(), initializers.Keys.Concat(constants.SelectMany(n => n.Outputs))));

            var used = new HashSet<string>(_nodes.SelectMany(n => n.Inputs), StringComparer.Ordinal) { _outputName };
            var statistics = new HashSet<string>(_nodes.Where(n => n.OpType == "BatchNormalization").SelectMany(n => n.Inputs.Skip(3)), StringComparer.Ordinal);
            _registered = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, proto) in initializers)
            {
                if (used.Contains(name))
                {
                    Register(name, OnnxTensors.ToTensor(proto, $"'{path}' initializer"), parameter: !statistics.Contains(name), options.TrainableParameters);
                }
            }

            foreach (var node in constants.Where(n => n.Outputs.Any(used.Contains)))
            {
                Register(node.Outputs[0], ConstantValue(node), parameter: false, requiresGrad: false);
            }

            _lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < _nodes.Length; i++)
            {
                foreach (var name in _nodes[i].Inputs)
                {
                    _lastUse[name] = i;
                }
            }

            (_batched, _constant) = Dependencies();
            _layerNames = _nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0).ToArray();
            _layerSet = new HashSet<string>(_layerNames, StringComparer.Ordinal);
            if (options.FeaturesTensor is not null && !_layerSet.Contains(options.FeaturesTensor))
            {
                throw Error($"FeaturesTensor '{options.FeaturesTensor}' is not the output of any node");
            }

            RegisterComponents();

            // One probe forward on zeros checks the graph runs and gives every tensor's shape.
            var shapes = Probe();
            if (options.AnyImageSize)
            {
                AdaptToAnyImageSize(shapes);
            }

            var outputShape = shapes[_outputName];
            NumClasses = outputShape.Length >= 2 ? (int)outputShape[1] : (int)outputShape.LastOrDefault(1);
            DefaultCamLayer = FindCamLayer(shapes);
            TensorShapes = shapes;
            eval();
        }
        catch
        {
            Dispose();   // free the weights registered so far
            throw;
        }
    }

    /// <inheritdoc/>
    public nn.Module Module => this;

    /// <summary>Size of dimension 1 of the output: classes for a classifier, features for a feature extractor.</summary>
    public int NumClasses { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> LayerNames => _layerNames;

    /// <summary>
    /// The output of the activation that follows the last convolution (or else the last 4-D tensor
    /// with a spatial extent), as named in the ONNX graph.
    /// </summary>
    public string DefaultCamLayer { get; }

    /// <summary>The ONNX name of the graph input.</summary>
    public string InputName => _inputName;

    /// <summary>The graph input's declared shape; -1 for a symbolic dimension.</summary>
    public IReadOnlyList<long> InputShape => _inputShape;

    /// <summary>The ONNX name of the tensor this module outputs.</summary>
    public string OutputName => _outputName;

    /// <summary>
    /// Shape of every node output for one input of the declared shape, measured at load by a forward on
    /// zeros (symbolic dimensions taken as 1 for the batch and 224 otherwise).
    /// </summary>
    public IReadOnlyDictionary<string, long[]> TensorShapes { get; }

    /// <summary>
    /// Imports an ONNX file (opsets 8–17 of the default domain).
    /// </summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Cut point and parameter options; defaults when <c>null</c>.</param>
    /// <returns>The module, in eval mode, on the CPU.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="OnnxImportException">
    /// The file is malformed or truncated, or uses an unsupported operator (the message lists op type,
    /// node name and opset), or its graph fails on an input of the declared shape.
    /// </exception>
    public static OnnxModel Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxLoadOptions();
        options.Validate();
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX file '{path}' not found.", path);
        }

        ModelProto model;
        try
        {
            // Parse from memory: every length in the file is then checked against the bytes actually there.
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new OnnxImportException($"ONNX file '{path}' is malformed or truncated: {e.Message}", e);
        }

        try
        {
            return new OnnxModel(path, model, options);
        }
        catch (OnnxImportException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new OnnxImportException($"ONNX file '{path}' cannot be imported: {e.Message}", e);
        }
    }

    /// <summary>Logits [N,K] (or the cut tensor) for images [N,C,H,W] float32.</summary>
    public override Tensor forward(Tensor input) => Run(input, null, out _);

    /// <inheritdoc/>
    public Tensor Forward(Tensor input) => call(input);

    /// <inheritdoc/>
    public Tensor Forward(Tensor input, string layer, out Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!_layerSet.Contains(layer))
        {
            throw new ArgumentException($"'{layer}' is not a tensor of this ONNX graph (see LayerNames).", nameof(layer));
        }

        var output = Run(input, layer, out var captured);
        activation = captured!;
        return output;
    }

    /// <summary>
    /// A tensor that splits the graph in two: the nodes up to its producer (the trunk) and the nodes after it, which read
    /// nothing the trunk computed except this tensor (and constants). Returns the first such tensor that is an input of
    /// the first node consuming one of <paramref name="parameters"/> (parameter names as in <c>named_parameters</c>), or
    /// null when that tensor does not split the graph. With no such node, the output itself (the whole graph is trunk).
    /// </summary>
    public string? FindCut(IReadOnlyCollection<string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var registered = _registered.Where(kv => parameters.Contains(kv.Value)).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var first = Array.FindIndex(_nodes, n => n.Inputs.Any(registered.Contains));
        if (first < 0)
        {
            return _outputName;
        }

        foreach (var candidate in _nodes[first].Inputs.Where(i => i.Length > 0 && _batched.Contains(i)))
        {
            var producer = Array.FindIndex(_nodes, n => n.Outputs.Contains(candidate));
            if (producer >= 0 && IsCut(candidate, producer))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The value of <paramref name="cut"/> (<see cref="FindCut"/>) for <paramref name="input"/>: the trunk's nodes only.</summary>
    public Tensor ForwardTo(Tensor input, string cut)
    {
        CheckInput(input);
        var producer = CutProducer(cut);
        using var scope = NewDisposeScope();
        var values = Execute(_inputName, input, 0, producer + 1, cut, shapes: null);
        return values[cut].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Names (as in <c>state_dict</c>) of the parameters and buffers the trunk's nodes read, up to and including
    /// <paramref name="cut"/>'s producer (<see cref="FindCut"/>), in graph order: everything the trunk's output depends on.
    /// </summary>
    public IReadOnlyList<string> TrunkState(string cut)
    {
        var producer = CutProducer(cut);
        return _nodes.Take(producer + 1).SelectMany(n => n.Inputs).Where(_registered.ContainsKey).Select(i => _registered[i]).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The output (as <see cref="Forward(Tensor)"/>) from <paramref name="cut"/>'s value: the nodes after the trunk only.</summary>
    public Tensor ForwardFrom(string cut, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var producer = CutProducer(cut);
        using var scope = NewDisposeScope();
        if (cut == _outputName)
        {
            return (_flattenOutput && value.dim() > 2 ? value.flatten(1) : value.alias()).MoveToOuterDisposeScope();
        }

        var values = Execute(cut, value, producer + 1, _nodes.Length, null, shapes: null);
        var result = values[_outputName];
        if (_flattenOutput && result.dim() > 2)
        {
            result = result.flatten(1);
        }

        return result.MoveToOuterDisposeScope();
    }

    private int CutProducer(string cut)
    {
        ArgumentNullException.ThrowIfNull(cut);
        var producer = Array.FindIndex(_nodes, n => n.Outputs.Contains(cut));
        if (producer < 0 || !IsCut(cut, producer))
        {
            throw new ArgumentException($"'{cut}' does not split this ONNX graph in two (see FindCut).", nameof(cut));
        }

        return producer;
    }

    // After the producer, no node reads a tensor computed at or before it, other than the cut.
    private bool IsCut(string cut, int producer)
    {
        var before = new HashSet<string>(_nodes.Take(producer + 1).SelectMany(n => n.Outputs), StringComparer.Ordinal) { _inputName };
        return _nodes.Skip(producer + 1).All(n => n.Inputs.All(i => i == cut || !before.Contains(i)));
    }

    private Tensor Run(Tensor input, string? layer, out Tensor? activation)
    {
        CheckInput(input);
        using var scope = NewDisposeScope();
        var values = Execute(input, layer, shapes: null);
        if (!values.TryGetValue(_outputName, out var result))
        {
            throw new InvalidOperationException($"ONNX output '{_outputName}' was not produced.");
        }

        if (_flattenOutput && result.dim() > 2)
        {
            result = result.flatten(1);
        }
        else if (layer == _outputName)
        {
            result = result.alias();  // the activation stays the graph's tensor; the output derives from it
        }

        activation = layer is null ? null : values[layer].MoveToOuterDisposeScope();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the nodes in order on <paramref name="input"/>, each in its own dispose scope, freeing every
    /// intermediate after its last use. Returns the live tensors: the output and <paramref name="keep"/>.
    /// Records each tensor's shape in <paramref name="shapes"/> when given. Call inside a dispose scope.
    /// </summary>
    /// <exception cref="InvalidOperationException">A node fails; the message names it and its input shapes.</exception>
    private Dictionary<string, Tensor> Execute(Tensor input, string? keep, Dictionary<string, long[]>? shapes) =>
        Execute(_inputName, input, 0, _nodes.Length, keep, shapes);

    /// <summary>
    /// Runs nodes [<paramref name="from"/>, <paramref name="to"/>) with <paramref name="seedName"/> = <paramref name="seed"/>
    /// (the graph input, or a cut tensor, <see cref="FindCut"/>); the seed is never freed here.
    /// </summary>
    private Dictionary<string, Tensor> Execute(string seedName, Tensor seed, int from, int to, string? keep, Dictionary<string, long[]>? shapes)
    {
        var weights = Weights();
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [seedName] = seed };
        for (var i = from; i < to; i++)
        {
            var node = _nodes[i];
            var inputs = node.Inputs.Select(n => n.Length == 0 ? null : values.TryGetValue(n, out var t) ? t : weights.TryGetValue(n, out var w) ? w
                : throw new InvalidOperationException($"{node.Describe()}: input '{n}' is not available")).ToArray();
            var context = new OnnxOpContext(node, inputs, inputs.Length > 0 && _batched.Contains(node.Inputs[0]), inputs.Length > 1 && _constant.Contains(node.Inputs[1]));
            Tensor[] outputs;
            using (var nodeScope = NewDisposeScope())
            {
                try
                {
                    outputs = OnnxOps.Run(context);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new InvalidOperationException(
                        $"{node.Describe()} failed on inputs {string.Join(", ", inputs.Select(t => t is null ? "-" : "[" + string.Join(",", t.shape) + "]"))}: {e.Message}", e);
                }

                for (var k = 0; k < outputs.Length; k++)
                {
                    if (inputs.Any(t => ReferenceEquals(t, outputs[k])))
                    {
                        outputs[k] = outputs[k].alias();
                    }

                    nodeScope.MoveToOuter(outputs[k]);
                }
            }

            var missing = node.Outputs.Skip(outputs.Length).FirstOrDefault(o => o.Length > 0 && (_lastUse.ContainsKey(o) || o == _outputName));
            if (missing is not null)
            {
                throw new InvalidOperationException($"{node.Describe()}: optional output '{missing}' is not supported");
            }

            for (var k = 0; k < outputs.Length; k++)
            {
                if (k < node.Outputs.Length && node.Outputs[k].Length > 0)
                {
                    values[node.Outputs[k]] = outputs[k];
                    if (shapes is not null)
                    {
                        shapes[node.Outputs[k]] = outputs[k].shape;
                    }
                }
                else
                {
                    outputs[k].Dispose();
                }
            }

            // Free intermediates no later node needs (autograd keeps what backward needs).
            foreach (var name in node.Inputs.Distinct())
            {
                if (name != seedName && name != _outputName && name != keep && _lastUse.GetValueOrDefault(name) == i && values.Remove(name, out var dead))
                {
                    dead.Dispose();
                }
            }
        }

        return values;
    }

    private void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // bfloat16 or float64 too, for a model converted with module.to(dtype): Attribution.BFloat16Classifier (--precision bf16)
        // and the numerics guard's float64 reference (Numerics.NumericsGuard.CheckModel).
        if (input.dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float64))
        {
            throw new ArgumentException($"ONNX model '{Path.GetFileName(_path)}' takes float32 (or, converted to bfloat16 or float64, that type) input, got {input.dtype}.", nameof(input));
        }

        var expected = "[" + string.Join(",", _inputShape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
        if (input.dim() != _inputShape.Length)
        {
            throw new ArgumentException($"ONNX model '{Path.GetFileName(_path)}' expects input '{_inputName}' of shape {expected} (rank {_inputShape.Length}), got [{string.Join(",", input.shape)}].", nameof(input));
        }

        if (_inputShape.Length > 1 && _inputShape[1] > 0 && input.shape[1] != _inputShape[1])
        {
            throw new ArgumentException($"ONNX model '{Path.GetFileName(_path)}' expects {_inputShape[1]} channels (input '{_inputName}' of shape {expected}), got [{string.Join(",", input.shape)}].", nameof(input));
        }
    }

    private Dictionary<string, Tensor> Weights()
    {
        var byRegistered = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in named_parameters(recurse: false))
        {
            byRegistered[name] = p;
        }

        foreach (var (name, b) in named_buffers(recurse: false))
        {
            byRegistered[name] = b;
        }

        return _registered.ToDictionary(kv => kv.Key, kv => byRegistered[kv.Value], StringComparer.Ordinal);
    }

    private void Register(string onnxName, Tensor value, bool parameter, bool requiresGrad)
    {
        var baseName = new string(onnxName.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_' ? ch : '_').ToArray());
        baseName = baseName.Length == 0 ? "t" : baseName;
        var name = baseName;
        for (var k = 1; _registered.ContainsValue(name); k++)
        {
            name = $"{baseName}_{k}";
        }

        _registered[onnxName] = name;
        // The module owns its weights: a dispose scope around Load must not free them.
        value.DetachFromDisposeScope();
        if (parameter && value.is_floating_point())
        {
            var weight = new Parameter(value, requires_grad: requiresGrad);
            weight.DetachFromDisposeScope();
            register_parameter(name, weight);
        }
        else
        {
            register_buffer(name, value);
        }
    }

    private Tensor ConstantValue(OnnxNode node)
    {
        var context = $"'{_path}' {node.Describe()}";
        var a = node.Attributes;
        if (a.TryGetValue("value", out var t))
        {
            return OnnxTensors.ToTensor(t.T ?? throw Error($"{node.Describe()} has an empty value"), context);
        }

        if (a.TryGetValue("value_float", out var f))
        {
            return torch.tensor(f.F);
        }

        if (a.TryGetValue("value_floats", out var fs))
        {
            return torch.tensor(fs.Floats.ToArray());
        }

        if (a.TryGetValue("value_int", out var i))
        {
            return torch.tensor(i.I);
        }

        if (a.TryGetValue("value_ints", out var ints))
        {
            return torch.tensor(ints.Ints.ToArray());
        }

        throw Error($"{node.Describe()}: only value, value_float(s) and value_int(s) constants are supported");
    }

    private void CheckOperators(OnnxNode[] nodes)
    {
        var unsupported = nodes
            .Where(n => n.OpType != "Constant" && (!(n.Domain is "" or "ai.onnx") || !OnnxOps.IsSupported(n.OpType)))
            .Select(n => $"{(n.Domain is "" or "ai.onnx" ? string.Empty : n.Domain + ".")}{n.Describe()}")
            .ToArray();
        if (unsupported.Length > 0)
        {
            throw Error($"unsupported operator(s): {string.Join("; ", unsupported.Take(20))}{(unsupported.Length > 20 ? $"; … ({unsupported.Length} in all)" : string.Empty)}");
        }
    }

    private long DefaultOpset(ModelProto model)
    {
        var imports = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToArray();
        if (imports.Length == 0)
        {
            throw Error("the model imports no opset of the default ONNX domain");
        }

        var opset = imports.Max(o => o.Version);
        if (opset is < 7 or > 18)
        {
            throw Error($"opset {opset} is not supported (opsets 7–18 are accepted; 8–17 are tested)");
        }

        return opset;
    }

    private long[] ReadInputShape(ValueInfoProto input)
    {
        var tensorType = input.Type?.TensorType ?? throw Error($"graph input '{input.Name}' is not a tensor");
        if (tensorType.ElemType != OnnxTensors.Float)
        {
            throw Error($"graph input '{input.Name}' has element type {tensorType.ElemType}; only float32 inputs are supported");
        }

        var dims = tensorType.Shape?.Dim ?? throw Error($"graph input '{input.Name}' has no shape");
        return dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : -1L).ToArray();
    }

    /// <summary>Nodes in an order where every input is produced before use (the file's order where it already is).</summary>
    private OnnxNode[] Sort(OnnxNode[] nodes, IEnumerable<string> available)
    {
        var known = new HashSet<string>(available, StringComparer.Ordinal) { _inputName, string.Empty };
        var pending = new List<OnnxNode>(nodes);
        var sorted = new List<OnnxNode>(nodes.Length);
        while (pending.Count > 0)
        {
            var ready = pending.FirstOrDefault(n => n.Inputs.All(known.Contains));
            if (ready is null)
            {
                var stuck = pending[0];
                var missing = stuck.Inputs.First(i => !known.Contains(i));
                throw Error($"{stuck.Describe()} reads tensor '{missing}', which no node, initializer or graph input produces (or the graph has a cycle)");
            }

            pending.Remove(ready);
            sorted.Add(ready);
            var twice = ready.Outputs.FirstOrDefault(o => o.Length > 0 && !known.Add(o));
            if (twice is not null)
            {
                throw Error($"{ready.Describe()} writes tensor '{twice}', which already exists");
            }
        }

        return sorted.ToArray();
    }

    /// <summary>Only the nodes the output depends on.</summary>
    private OnnxNode[] KeepNeeded(OnnxNode[] sorted)
    {
        var needed = new HashSet<string>(StringComparer.Ordinal) { _outputName };
        var keep = new bool[sorted.Length];
        for (var i = sorted.Length - 1; i >= 0; i--)
        {
            if (sorted[i].Outputs.Any(needed.Contains))
            {
                keep[i] = true;
                needed.UnionWith(sorted[i].Inputs);
            }
        }

        if (!sorted.Any(n => n.Outputs.Contains(_outputName)))
        {
            throw Error($"no node produces tensor '{_outputName}'");
        }

        return sorted.Where((_, i) => keep[i]).ToArray();
    }

    private (HashSet<string> Batched, HashSet<string> Constant) Dependencies()
    {
        var batched = new HashSet<string>(StringComparer.Ordinal) { _inputName };
        var constant = new HashSet<string>(_registered.Keys, StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            var inputs = node.Inputs.Where(i => i.Length > 0).ToArray();
            if (node.OpType != "Shape" && inputs.Any(batched.Contains))
            {
                batched.UnionWith(node.Outputs);
            }

            if (inputs.All(constant.Contains))
            {
                constant.UnionWith(node.Outputs);
            }
        }

        return (batched, constant);
    }

    private Dictionary<string, long[]> Probe()
    {
        var shape = _inputShape.Select((d, i) => d > 0 ? d : i == 0 ? 1 : 224).ToArray();
        if (shape.Any(d => d > MaxProbeDim) || shape.Aggregate(1.0, (a, d) => a * d) > MaxProbeElements)
        {
            throw Error($"graph input '{_inputName}' declares shape [{string.Join(",", shape)}], too large to be an image batch");
        }

        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = zeros(shape);
        try
        {
            Execute(x, keep: null, shapes);
        }
        catch (InvalidOperationException e)
        {
            throw Error($"the graph fails on an input of shape [{string.Join(",", shape)}]: {e.Message}", e);
        }

        return shapes;
    }

    private void AdaptToAnyImageSize(Dictionary<string, long[]> shapes)
    {
        var weights = Weights();
        foreach (var node in _nodes.Where(n => n.OpType is "Conv" or "AveragePool" or "MaxPool"))
        {
            var input = shapes.GetValueOrDefault(node.Inputs[0]);
            long[]? Ints(string name) => node.Attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;
            var autoPad = node.Attributes.TryGetValue("auto_pad", out var ap) ? ap.S.ToStringUtf8() : "NOTSET";
            var pads = Ints("pads") ?? [];
            var kernel = node.OpType == "Conv" ? (shapes.GetValueOrDefault(node.Inputs[1]) ?? weights.GetValueOrDefault(node.Inputs[1])?.shape)?[2..] : Ints("kernel_shape");
            if (input is not { Length: 4 } || kernel is not { Length: 2 } || autoPad is not ("" or "NOTSET"))
            {
                continue;
            }

            if (node.OpType != "Conv" && pads.All(v => v == 0) && kernel[0] == input[2] && kernel[1] == input[3])
            {
                node.ReplaceOperator(node.OpType == "AveragePool" ? "GlobalAveragePool" : "GlobalMaxPool");
                continue;
            }

            if (pads.Length == 4 && (pads[0] != pads[2] || pads[1] != pads[3]))
            {
                var strides = Ints("strides") ?? [1, 1];
                var dilations = Ints("dilations") ?? [1, 1];
                foreach (var upper in new[] { false, true })
                {
                    if (OnnxOps.SamePads(input[2..], kernel, strides, dilations, upper).SequenceEqual(pads))
                    {
                        node.AutoPadOverride = upper ? "SAME_UPPER" : "SAME_LOWER";
                        break;
                    }
                }
            }
        }
    }

    private string FindCamLayer(Dictionary<string, long[]> shapes)
    {
        bool Spatial(string name) => shapes.TryGetValue(name, out var s) && s.Length == 4 && s[2] * s[3] > 1;
        var lastConv = Array.FindLastIndex(_nodes, n => n.OpType is "Conv" or "ConvTranspose");
        if (lastConv >= 0)
        {
            var activation = _nodes.Skip(lastConv + 1)
                .FirstOrDefault(n => n.OpType is "Relu" or "LeakyRelu" or "PRelu" or "Sigmoid" or "Tanh" or "Clip" or "HardSigmoid" or "HardSwish" && Spatial(n.Outputs[0]));
            if (activation is not null)
            {
                return activation.Outputs[0];
            }
        }

        var last4d = _layerNames.LastOrDefault(Spatial);
        return last4d ?? (lastConv >= 0 ? _nodes[lastConv].Outputs[0] : _layerNames.LastOrDefault(_outputName));
    }

    private OnnxImportException Error(string message, Exception? inner = null)
    {
        var text = $"ONNX file '{_path}': {message}";
        return inner is null ? new OnnxImportException(text) : new OnnxImportException(text, inner);
    }
}
