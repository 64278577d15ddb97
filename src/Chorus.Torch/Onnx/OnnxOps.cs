using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Chorus.Torch.Onnx;

/// <summary>
/// The ONNX operators Chorus runs, each written with differentiable libtorch ops. Every operator returns
/// fresh tensors (an alias when it passes an input through), never one of its inputs.
/// </summary>
internal static class OnnxOps
{
    /// <summary>Padding values larger than this are taken as a corrupt file rather than allocated.</summary>
    private const long MaxPad = 1 << 16;

    private static readonly Dictionary<string, Func<OnnxOpContext, Tensor[]>> Table = new(StringComparer.Ordinal)
    {
        ["Conv"] = c => [Conv(c)],
        ["BatchNormalization"] = c => [BatchNormalization(c)],
        ["Relu"] = c => [F.relu(c.Input(0))],
        ["LeakyRelu"] = c => [F.leaky_relu(c.Input(0), c.Float("alpha", 0.01f))],
        ["PRelu"] = c => [torch.where(c.Input(0) >= 0, c.Input(0), c.Input(0) * c.Input(1))],
        ["Sigmoid"] = c => [c.Input(0).sigmoid()],
        ["Tanh"] = c => [c.Input(0).tanh()],
        ["Clip"] = c => [Clip(c)],
        ["HardSigmoid"] = c => [(c.Input(0) * c.Float("alpha", 0.2f) + c.Float("beta", 0.5f)).clamp(0.0, 1.0)],
        ["HardSwish"] = c => [F.hardswish(c.Input(0))],
        ["MaxPool"] = c => [Pool(c, max: true)],
        ["AveragePool"] = c => [Pool(c, max: false)],
        ["GlobalAveragePool"] = c => [c.Input(0).mean(SpatialDims(c.Input(0)), keepdim: true)],
        ["GlobalMaxPool"] = c => [c.Input(0).amax(SpatialDims(c.Input(0)), keepdim: true)],
        ["Add"] = c => [c.Input(0) + c.Input(1)],
        ["Sub"] = c => [c.Input(0) - c.Input(1)],
        ["Mul"] = c => [c.Input(0) * c.Input(1)],
        ["Div"] = c => [Div(c.Input(0), c.Input(1))],
        ["Sum"] = c => [Fold(c, (a, b) => a + b)],
        ["Max"] = c => [Fold(c, torch.maximum)],
        ["Min"] = c => [Fold(c, torch.minimum)],
        ["Neg"] = c => [c.Input(0).neg()],
        ["Abs"] = c => [c.Input(0).abs()],
        ["Exp"] = c => [c.Input(0).exp()],
        ["Log"] = c => [c.Input(0).log()],
        ["Sqrt"] = c => [c.Input(0).sqrt()],
        ["Reciprocal"] = c => [c.Input(0).reciprocal()],
        ["Pow"] = c => [c.Input(0).pow(c.Input(1))],
        ["Erf"] = c => [c.Input(0).erf()],
        ["Gemm"] = c => [Gemm(c)],
        ["MatMul"] = c => [torch.matmul(c.Input(0), c.Input(1))],
        ["Flatten"] = c => [Flatten(c)],
        ["Reshape"] = c => [Reshape(c)],
        ["Transpose"] = c => [Transpose(c)],
        ["Concat"] = c => [Concat(c)],
        ["Squeeze"] = c => [Squeeze(c)],
        ["Unsqueeze"] = c => [Unsqueeze(c)],
        ["ReduceMean"] = c => [Reduce(c, (x, dims, keep) => x.mean(dims, keep))],
        ["ReduceSum"] = c => [Reduce(c, (x, dims, keep) => x.sum(dims, keep))],
        ["ReduceMax"] = c => [Reduce(c, (x, dims, keep) => x.amax(dims, keep))],
        ["Softmax"] = c => [Softmax(c, log: false)],
        ["LogSoftmax"] = c => [Softmax(c, log: true)],
        ["Dropout"] = c => [c.Input(0).alias()],
        ["Identity"] = c => [c.Input(0).alias()],
        ["Pad"] = c => [Pad(c)],
        ["Shape"] = c => [Shape(c)],
        ["Gather"] = c => [Gather(c)],
        ["Cast"] = c => [c.Input(0).to(OnnxTensors.ToScalarType(c.Int("to", OnnxTensors.Float), c.Node.Describe()))],
        ["Slice"] = c => [Slice(c)],
        ["Split"] = Split,
    };

    /// <summary>Operator types this importer implements (the default ONNX domain).</summary>
    public static IReadOnlyCollection<string> Supported => Table.Keys;

    public static bool IsSupported(string opType) => Table.ContainsKey(opType);

    public static Tensor[] Run(OnnxOpContext context) => Table[context.Node.OpType](context);

    private static long[] SpatialDims(Tensor x) => Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i).ToArray();

    private static Tensor Fold(OnnxOpContext c, Func<Tensor, Tensor, Tensor> op)
    {
        var result = c.Input(0).alias();
        for (var i = 1; i < c.Inputs.Length; i++)
        {
            result = op(result, c.Input(i));
        }

        return result;
    }

    private static Tensor Div(Tensor a, Tensor b) =>
        !a.is_floating_point() && !b.is_floating_point() ? a.div(b, RoundingMode.trunc) : a / b;

    private static Tensor Clip(OnnxOpContext c)
    {
        var x = c.Input(0);
        double? min;
        double? max;
        if (c.Has("min") || c.Has("max") || c.Opset < 11)
        {
            min = c.Has("min") ? c.Float("min", float.MinValue) : null;
            max = c.Has("max") ? c.Float("max", float.MaxValue) : null;
        }
        else
        {
            min = c.OptionalInput(1) is { } lo ? OnnxOpContext.ReadScalar(lo) : null;
            max = c.OptionalInput(2) is { } hi ? OnnxOpContext.ReadScalar(hi) : null;
        }

        return (min, max) switch
        {
            (null, null) => x.alias(),
            ({ } lo, null) => x.clamp_min(lo),
            (null, { } hi) => x.clamp_max(hi),
            ({ } lo, { } hi) => x.clamp(lo, hi),
        };
    }

    private static Tensor BatchNormalization(OnnxOpContext c)
    {
        if (c.Int("spatial", 1) != 1)
        {
            throw c.Fail("spatial=0 is not supported");
        }

        return F.batch_norm(c.Input(0), c.Input(3), c.Input(4), c.Input(1), c.Input(2), training: false, eps: c.Float("epsilon", 1e-5f));
    }

    private static Tensor Gemm(OnnxOpContext c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        var bias = c.OptionalInput(2);
        var alpha = c.Float("alpha", 1f);
        var beta = c.Float("beta", 1f);
        if (c.Int("transA", 0) != 0)
        {
            a = a.t();
        }

        if (alpha == 1f && beta == 1f && c.Int("transB", 0) != 0 && (bias is null || bias.dim() == 1))
        {
            return F.linear(a, b, bias);   // the common nn.Linear export
        }

        var y = torch.matmul(a, c.Int("transB", 0) != 0 ? b.t() : b);
        if (alpha != 1f)
        {
            y = y * alpha;
        }

        if (bias is not null)
        {
            y = beta == 1f ? y + bias : y + bias * beta;
        }

        return y;
    }

    private static Tensor Flatten(OnnxOpContext c)
    {
        var x = c.Input(0);
        var rank = x.dim();
        var axis = c.Int("axis", 1);
        axis = axis < 0 ? axis + rank : axis;
        if (axis < 0 || axis > rank)
        {
            throw c.Fail($"axis {c.Int("axis", 1)} is out of range for rank {rank}");
        }

        long outer = 1;
        long inner = 1;
        for (var i = 0; i < rank; i++)
        {
            if (i < axis)
            {
                outer *= x.shape[i];
            }
            else
            {
                inner *= x.shape[i];
            }
        }

        return x.reshape(outer, inner);
    }

    private static Tensor Reshape(OnnxOpContext c)
    {
        var x = c.Input(0);
        var target = c.IntsFromAttributeOrInput("shape", 1) ?? throw c.Fail("no target shape");
        var allowZero = c.Int("allowzero", 0) != 0;
        for (var i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && !allowZero)
            {
                target[i] = i < x.dim() ? x.shape[i] : throw c.Fail($"target dim {i} is 0 but the input has rank {x.dim()}");
            }
        }

        // Dynamic batch: a constant target shape exported with batch 1 follows the actual batch.
        if (c.BatchedData && c.ConstantShape && target.Length > 0 && target[0] == 1 && x.dim() > 0 && x.shape[0] != 1)
        {
            target[0] = x.shape[0];
        }

        return x.reshape(target);
    }

    private static Tensor Transpose(OnnxOpContext c)
    {
        var x = c.Input(0);
        var perm = c.Ints("perm") ?? Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i).ToArray();
        return x.permute(perm);
    }

    private static Tensor Concat(OnnxOpContext c)
    {
        var parts = c.Inputs.Where(t => t is not null).Select(t => t!).ToList();
        var dtype = parts[0].dtype;
        var converted = parts.Select(t => t.dtype == dtype ? t : t.to(dtype)).ToList();
        return torch.cat(converted, c.Int("axis", 0));
    }

    private static Tensor Squeeze(OnnxOpContext c)
    {
        var x = c.Input(0);
        var axes = c.IntsFromAttributeOrInput("axes", 1);
        if (axes is null || axes.Length == 0)
        {
            return x.squeeze();
        }

        var rank = x.dim();
        var result = x.alias();
        foreach (var axis in axes.Select(a => a < 0 ? a + rank : a).OrderDescending())
        {
            result = result.squeeze(axis);
        }

        return result;
    }

    private static Tensor Unsqueeze(OnnxOpContext c)
    {
        var x = c.Input(0);
        var axes = c.IntsFromAttributeOrInput("axes", 1) ?? throw c.Fail("no axes");
        var rank = x.dim() + axes.Length;
        var result = x.alias();
        foreach (var axis in axes.Select(a => a < 0 ? a + rank : a).Order())
        {
            result = result.unsqueeze(axis);
        }

        return result;
    }

    private static Tensor Reduce(OnnxOpContext c, Func<Tensor, long[], bool, Tensor> reduce)
    {
        var x = c.Input(0);
        var keep = c.Int("keepdims", 1) != 0;
        var axes = c.IntsFromAttributeOrInput("axes", 1);
        if (axes is null || axes.Length == 0)
        {
            if (c.Int("noop_with_empty_axes", 0) != 0)
            {
                return x.alias();
            }

            axes = Enumerable.Range(0, (int)x.dim()).Select(i => (long)i).ToArray();
        }

        return reduce(x, axes, keep);
    }

    private static Tensor Softmax(OnnxOpContext c, bool log)
    {
        var x = c.Input(0);
        var rank = x.dim();
        if (c.Opset >= 13)
        {
            var dim = c.Int("axis", -1);
            return log ? F.log_softmax(x, dim) : F.softmax(x, dim);
        }

        // Opset < 13: softmax over the input flattened to 2-D at the axis.
        var axis = c.Int("axis", 1);
        axis = axis < 0 ? axis + rank : axis;
        long outer = 1;
        for (var i = 0; i < axis; i++)
        {
            outer *= x.shape[i];
        }

        var flat = x.reshape(outer, -1);
        var y = log ? F.log_softmax(flat, 1) : F.softmax(flat, 1);
        return y.reshape(x.shape);
    }

    private static Tensor Pad(OnnxOpContext c)
    {
        var x = c.Input(0);
        var rank = (int)x.dim();
        var pads = c.IntsFromAttributeOrInput("pads", 1) ?? throw c.Fail("no pads");
        if (c.OptionalInput(3) is not null)
        {
            throw c.Fail("the axes input is not supported");
        }

        if (pads.Length != 2 * rank)
        {
            throw c.Fail($"{pads.Length} pads for a rank-{rank} input");
        }

        CheckPads(c, pads, allowNegative: true);
        var value = c.Has("value") ? c.Float("value", 0f) : c.OptionalInput(2) is { } v ? OnnxOpContext.ReadScalar(v) : 0.0;
        var mode = c.String("mode", "constant") switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            var m => throw c.Fail($"mode '{m}' is not supported"),
        };

        // torch.nn.functional.pad lists the last dimension first and may stop before the leading dims.
        var first = Enumerable.Range(0, rank).FirstOrDefault(i => pads[i] != 0 || pads[i + rank] != 0, rank);
        if (first == rank)
        {
            return x.alias();
        }

        var torchPads = new List<long>();
        for (var i = rank - 1; i >= first; i--)
        {
            torchPads.Add(pads[i]);
            torchPads.Add(pads[i + rank]);
        }

        return mode == PaddingModes.Constant ? F.pad(x, torchPads.ToArray(), mode, value) : F.pad(x, torchPads.ToArray(), mode);
    }

    private static Tensor Shape(OnnxOpContext c)
    {
        var x = c.Input(0);
        var shape = x.shape;
        var rank = shape.Length;
        var start = Clamp(c.Int("start", 0), rank);
        var end = Clamp(c.Int("end", rank), rank);
        return torch.tensor(shape[(int)start..(int)Math.Max(start, end)], ScalarType.Int64, x.device);

        static long Clamp(long i, long rank) => Math.Clamp(i < 0 ? i + rank : i, 0, rank);
    }

    private static Tensor Gather(OnnxOpContext c)
    {
        var x = c.Input(0);
        var indices = c.Input(1);
        var axis = c.Int("axis", 0);
        axis = axis < 0 ? axis + x.dim() : axis;
        var size = x.shape[axis];
        if (indices.dim() == 0)
        {
            var i = (long)OnnxOpContext.ReadScalar(indices);
            return x.select(axis, i < 0 ? i + size : i);
        }

        var idx = indices.to(ScalarType.Int64);
        idx = torch.where(idx < 0, idx + size, idx);
        var picked = x.index_select(axis, idx.flatten());
        var shape = x.shape[..(int)axis].Concat(indices.shape).Concat(x.shape[((int)axis + 1)..]).ToArray();
        return picked.reshape(shape);
    }

    private static Tensor Slice(OnnxOpContext c)
    {
        var x = c.Input(0);
        var rank = x.dim();
        long[] starts;
        long[] ends;
        long[]? axes;
        long[]? steps = null;
        if (c.Has("starts"))
        {
            starts = c.Ints("starts")!;
            ends = c.Ints("ends") ?? throw c.Fail("no ends");
            axes = c.Ints("axes");
        }
        else
        {
            starts = OnnxOpContext.ReadLongs(c.Input(1));
            ends = OnnxOpContext.ReadLongs(c.Input(2));
            axes = c.OptionalInput(3) is { } a ? OnnxOpContext.ReadLongs(a) : null;
            steps = c.OptionalInput(4) is { } s ? OnnxOpContext.ReadLongs(s) : null;
        }

        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || (steps is not null && steps.Length != starts.Length))
        {
            throw c.Fail("starts, ends, axes and steps differ in length");
        }

        var result = x.alias();
        for (var i = 0; i < starts.Length; i++)
        {
            var axis = axes[i] < 0 ? axes[i] + rank : axes[i];
            var dim = x.shape[axis];
            var step = steps?[i] ?? 1;
            if (step == 0)
            {
                throw c.Fail("step 0");
            }

            var start = starts[i] < 0 ? starts[i] + dim : starts[i];
            var end = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (step > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
                result = result.slice(axis, start, Math.Max(start, end), step);
            }
            else
            {
                start = Math.Clamp(start, -1, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
                var count = Math.Max(0, (start - end + (-step) - 1) / -step);
                var index = torch.arange(start, start + (count * step), step, ScalarType.Int64, x.device);
                result = result.index_select(axis, index);
            }
        }

        return result;
    }

    private static Tensor[] Split(OnnxOpContext c)
    {
        var x = c.Input(0);
        var axis = c.Int("axis", 0);
        axis = axis < 0 ? axis + x.dim() : axis;
        var sizes = c.IntsFromAttributeOrInput("split", 1);
        if (sizes is null || sizes.Length == 0)
        {
            var parts = c.Node.Outputs.Length;
            var each = (x.shape[axis] + parts - 1) / parts;
            sizes = Enumerable.Range(0, parts).Select(i => Math.Min(each, x.shape[axis] - (i * each))).ToArray();
        }

        return x.split(sizes, axis);
    }

    private static Tensor Conv(OnnxOpContext c)
    {
        var x = c.Input(0);
        var w = c.Input(1);
        var bias = c.OptionalInput(2);
        var spatial = (int)w.dim() - 2;
        if (spatial is < 1 or > 3 || x.dim() != spatial + 2)
        {
            throw c.Fail($"input of rank {x.dim()} with weight of rank {w.dim()} is not supported (1-D, 2-D and 3-D convolutions are)");
        }

        var strides = c.Ints("strides") ?? Ones(spatial);
        var dilations = c.Ints("dilations") ?? Ones(spatial);
        var groups = c.Int("group", 1);
        var kernel = w.shape[2..];
        var pads = ResolvePads(c, x.shape[2..], kernel, strides, dilations);
        var (padded, padding) = ApplyPads(x, pads, spatial, 0.0, symmetricLimit: null);
        return spatial switch
        {
            1 => F.conv1d(padded, w, bias, strides[0], padding[0], dilations[0], groups),
            2 => F.conv2d(padded, w, bias, strides, padding, dilations, groups),
            _ => F.conv3d(padded, w, bias, strides, padding, dilations, groups),
        };
    }

    private static Tensor Pool(OnnxOpContext c, bool max)
    {
        var x = c.Input(0);
        if (x.dim() != 4)
        {
            throw c.Fail($"input of rank {x.dim()} is not supported (2-D pooling on [N,C,H,W] is)");
        }

        if (c.Node.Outputs.Length > 1 && !string.IsNullOrEmpty(c.Node.Outputs[1]))
        {
            throw c.Fail("the Indices output is not supported");
        }

        const int spatial = 2;
        var kernel = c.Ints("kernel_shape") ?? throw c.Fail("no kernel_shape");
        var strides = c.Ints("strides") ?? Ones(spatial);
        var dilations = (max ? c.Ints("dilations") : null) ?? Ones(spatial);
        if (kernel.Length != spatial || strides.Length != spatial || dilations.Length != spatial)
        {
            throw c.Fail("kernel_shape, strides and dilations must have 2 entries");
        }

        var pads = ResolvePads(c, x.shape[2..], kernel, strides, dilations);

        // ceil_mode: extra padding at the end so floor-mode pooling yields the ceil-mode output size;
        // the last window must start inside the input or its begin padding.
        var extra = new long[spatial];
        if (c.Int("ceil_mode", 0) != 0)
        {
            for (var i = 0; i < spatial; i++)
            {
                var effective = ((kernel[i] - 1) * dilations[i]) + 1;
                var padded = x.shape[2 + i] + pads[i] + pads[i + spatial];
                var outSize = ((padded - effective + strides[i] - 1) / strides[i]) + 1;
                if ((outSize - 1) * strides[i] >= x.shape[2 + i] + pads[i])
                {
                    outSize--;
                }

                extra[i] = Math.Max(0, ((outSize - 1) * strides[i]) + effective - padded);
            }
        }

        var fast = extra.All(e => e == 0) && IsSymmetric(pads, spatial) && Enumerable.Range(0, spatial).All(i => pads[i] * 2 <= kernel[i]);
        if (max)
        {
            if (fast)
            {
                return F.max_pool2d(x, kernel, strides, [pads[0], pads[1]], dilations);
            }

            var withExtra = new[] { pads[0], pads[1], pads[2] + extra[0], pads[3] + extra[1] };
            var (padded, _) = ApplyPads(x, withExtra, spatial, double.NegativeInfinity, symmetricLimit: 0);
            return F.max_pool2d(padded, kernel, strides, [0, 0], dilations);
        }

        var countIncludePad = c.Int("count_include_pad", 0) != 0;
        if (fast)
        {
            return F.avg_pool2d(x, kernel, strides, [pads[0], pads[1]], ceil_mode: false, count_include_pad: countIncludePad);
        }

        // General case: window sums divided by how many positions each window counts (padding counts
        // only with count_include_pad; the ceil_mode tail never does).
        var sums = F.avg_pool2d(F.pad(x, TorchPads(pads, extra, spatial)), kernel, strides);
        using var ones = torch.ones([1, 1, x.shape[2], x.shape[3]], x.dtype, x.device);
        using var counted = countIncludePad ? F.pad(ones, TorchPads(pads, null, spatial), value: 1.0) : ones.alias();
        using var mask = F.pad(counted, TorchPads(countIncludePad ? new long[2 * spatial] : pads, extra, spatial));
        using var counts = F.avg_pool2d(mask, kernel, strides);
        return sums / counts;
    }

    /// <summary>The SAME_UPPER / SAME_LOWER pads (begin…, end…) for one input size.</summary>
    public static long[] SamePads(long[] inputSize, long[] kernel, long[] strides, long[] dilations, bool upper)
    {
        var spatial = inputSize.Length;
        var pads = new long[2 * spatial];
        for (var i = 0; i < spatial; i++)
        {
            var outSize = (inputSize[i] + strides[i] - 1) / strides[i];
            var total = Math.Max(0, ((outSize - 1) * strides[i]) + ((kernel[i] - 1) * dilations[i]) + 1 - inputSize[i]);
            var small = total / 2;
            pads[i] = upper ? small : total - small;
            pads[i + spatial] = total - pads[i];
        }

        return pads;
    }

    /// <summary>Begin and end pads [x1_begin, x2_begin, …, x1_end, x2_end, …] from pads or auto_pad.</summary>
    private static long[] ResolvePads(OnnxOpContext c, long[] inputSize, long[] kernel, long[] strides, long[] dilations)
    {
        var spatial = inputSize.Length;
        if (kernel.Length != spatial || strides.Length != spatial || dilations.Length != spatial)
        {
            throw c.Fail("kernel, strides and dilations do not match the input's spatial rank");
        }

        if (strides.Any(s => s < 1) || dilations.Any(d => d < 1) || kernel.Any(k => k < 1))
        {
            throw c.Fail("kernel, strides and dilations must be positive");
        }

        var pads = new long[2 * spatial];
        switch (c.Node.AutoPadOverride ?? c.String("auto_pad", "NOTSET"))
        {
            case "NOTSET":
                var given = c.Ints("pads");
                if (given is not null)
                {
                    if (given.Length != 2 * spatial)
                    {
                        throw c.Fail($"{given.Length} pads for {spatial} spatial dimensions");
                    }

                    CheckPads(c, given, allowNegative: false);
                    pads = given;
                }

                break;
            case "VALID":
                break;
            case var mode and ("SAME_UPPER" or "SAME_LOWER"):
                pads = SamePads(inputSize, kernel, strides, dilations, upper: mode == "SAME_UPPER");
                break;
            case var other:
                throw c.Fail($"auto_pad '{other}' is not supported");
        }

        return pads;
    }

    private static void CheckPads(OnnxOpContext c, long[] pads, bool allowNegative)
    {
        if (pads.Any(p => p > MaxPad || p < (allowNegative ? -MaxPad : 0)))
        {
            throw c.Fail($"pads [{string.Join(",", pads)}] are out of range");
        }
    }

    /// <summary>Symmetric pads go to the op's own padding argument; others become an explicit F.pad.</summary>
    private static (Tensor Input, long[] Padding) ApplyPads(Tensor x, long[] pads, int spatial, double value, long? symmetricLimit)
    {
        if (IsSymmetric(pads, spatial) && (symmetricLimit is null || pads.All(p => p <= symmetricLimit)))
        {
            return (x, pads[..spatial]);
        }

        return (F.pad(x, TorchPads(pads, null, spatial), value: value), new long[spatial]);
    }

    private static bool IsSymmetric(long[] pads, int spatial) => Enumerable.Range(0, spatial).All(i => pads[i] == pads[i + spatial]);

    /// <summary>ONNX pads (+ optional extra end padding) in torch's order: last dimension first.</summary>
    private static long[] TorchPads(long[] pads, long[]? extraEnd, int spatial)
    {
        var result = new long[2 * spatial];
        for (var i = 0; i < spatial; i++)
        {
            var j = spatial - 1 - i;
            result[2 * i] = pads[j];
            result[(2 * i) + 1] = pads[j + spatial] + (extraEnd?[j] ?? 0);
        }

        return result;
    }

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();
}
