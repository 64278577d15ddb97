using Chorus.Torch.Onnx;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Onnx;

/// <summary>Operator edge cases on small hand-built graphs, each compared with ONNX Runtime.</summary>
public class OnnxOpTests
{
    private static readonly float[] W3x3 = OnnxTestGraph.Random(4 * 3 * 3 * 3, 11);
    private static readonly float[] B4 = OnnxTestGraph.Random(4, 12);

    [Fact]
    public void Conv_AsymmetricPadsAndStride_MatchesOrt()
    {
        var g = new OnnxTestGraph(11).Input("x", null, 3, 9, 8).Output("y")
            .Floats("w", W3x3, 4, 3, 3, 3).Floats("b", B4, 4)
            .Node("Conv", ["x", "w", "b"], ["y"], ("pads", new long[] { 1, 2, 0, 1 }), ("strides", new long[] { 2, 2 }));
        AssertMatchesOrt(g, [2, 3, 9, 8]);
    }

    [Theory]
    [InlineData("SAME_UPPER", 2)]
    [InlineData("SAME_LOWER", 2)]
    [InlineData("SAME_UPPER", 1)]
    [InlineData("VALID", 2)]
    public void Conv_AutoPad_MatchesOrt(string autoPad, long stride)
    {
        var g = new OnnxTestGraph(11).Input("x", null, 3, 8, 7).Output("y")
            .Floats("w", OnnxTestGraph.Random(4 * 3 * 4 * 4, 13), 4, 3, 4, 4)
            .Node("Conv", ["x", "w"], ["y"], ("auto_pad", autoPad), ("strides", new long[] { stride, stride }));
        AssertMatchesOrt(g, [2, 3, 8, 7]);
    }

    [Fact]
    public void Conv_GroupsAndDilations_MatchesOrt()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 4, 10, 10).Output("y")
            .Floats("w", OnnxTestGraph.Random(6 * 2 * 3 * 3, 14), 6, 2, 3, 3)
            .Node("Conv", ["x", "w"], ["y"], ("group", 2L), ("dilations", new long[] { 2, 1 }), ("pads", new long[] { 2, 1, 2, 1 }));
        AssertMatchesOrt(g, [2, 4, 10, 10]);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 0L)]
    [InlineData(0L, 1L)]
    [InlineData(1L, 1L)]
    public void AveragePool_AsymmetricPads_CountIncludePad_CeilMode_MatchesOrt(long countIncludePad, long ceilMode)
    {
        var g = new OnnxTestGraph(11).Input("x", null, 2, 9, 8).Output("y")
            .Node("AveragePool", ["x"], ["y"], ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }),
                ("pads", new long[] { 1, 0, 0, 1 }), ("count_include_pad", countIncludePad), ("ceil_mode", ceilMode));
        AssertMatchesOrt(g, [2, 2, 9, 8]);
    }

    [Fact]
    public void AveragePool_SymmetricPadsCountIncludePad_MatchesOrt()
    {
        var g = new OnnxTestGraph(11).Input("x", null, 2, 6, 6).Output("y")
            .Node("AveragePool", ["x"], ["y"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 1L));
        AssertMatchesOrt(g, [1, 2, 6, 6]);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    public void MaxPool_AsymmetricPads_MatchesOrt(long ceilMode)
    {
        // CNTK-style pads [1,1,0,0] on a 3×3/2 pool (ceil_mode exists from opset 10).
        var g = new OnnxTestGraph(ceilMode == 0 ? 8 : 10).Input("x", null, 2, 8, 9).Output("y")
            .Node("MaxPool", ["x"], ["y"], ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 0, 0 }));
        if (ceilMode != 0)
        {
            g.Node("Identity", ["y"], ["unused"]);
            g.Graph.Node[0].Attribute.Add(new global::Onnx.AttributeProto { Name = "ceil_mode", Type = global::Onnx.AttributeProto.Types.AttributeType.Int, I = 1 });
            g.Graph.Node.RemoveAt(1);
        }

        AssertMatchesOrt(g, [2, 2, 8, 9], (-5f, 0f));   // negative inputs: -inf padding must not win
    }

    [Theory]
    [InlineData(0L, 1L, 1f, 1f)]
    [InlineData(0L, 1L, 0.5f, 2f)]
    [InlineData(1L, 0L, 1.5f, 0.25f)]
    public void Gemm_TransposesAlphaBeta_MatchesOrt(long transA, long transB, float alpha, float beta)
    {
        var bShape = transB == 1 ? new long[] { 3, 5 } : [5, 3];
        var g = new OnnxTestGraph(11).Input("x", transA == 1 ? new long?[] { 5, null } : new long?[] { null, 5 }).Output("y")
            .Floats("b", OnnxTestGraph.Random(15, 15), bShape).Floats("c", OnnxTestGraph.Random(3, 16), 3)
            .Node("Gemm", ["x", "b", "c"], ["y"], ("transA", transA), ("transB", transB), ("alpha", alpha), ("beta", beta));
        AssertMatchesOrt(g, transA == 1 ? [5, 4] : [4, 5]);
    }

    [Theory]
    [InlineData(new long[] { 0, -1 })]
    [InlineData(new long[] { 0, 3, -1 })]
    [InlineData(new long[] { -1, 6 })]
    [InlineData(new long[] { 0, 0, 2, 3 })]
    public void Reshape_ZeroAndMinusOne_MatchesOrt(long[] target)
    {
        var g = new OnnxTestGraph(13).Input("x", null, 4, 3, 2).Output("y")
            .Longs("s", target, target.Length)
            .Node("Reshape", ["x", "s"], ["y"]);
        AssertMatchesOrt(g, [2, 4, 3, 2]);
    }

    [Fact]
    public void Reshape_ConstantBatchOneShape_FollowsTheBatch()
    {
        // Exported with N=1: Reshape to [1,-1] then Gemm. Batch 3 must give each sample's own result.
        var g = new OnnxTestGraph(13).Input("x", 1, 2, 3, 3).Output("y")
            .Longs("s", [1, -1], 2).Floats("w", OnnxTestGraph.Random(4 * 18, 17), 4, 18).Floats("b", B4, 4)
            .Node("Reshape", ["x", "s"], ["f"])
            .Node("Gemm", ["f", "w", "b"], ["y"], ("transB", 1L));
        var input = OnnxTestGraph.Random(3 * 18, 18);
        using var model = OnnxModel.Load(g.Save());
        using var scope = NewDisposeScope();
        var ours = model.Forward(tensor(input, [3, 2, 3, 3]));
        Assert.Equal([3L, 4L], ours.shape);
        for (var n = 0; n < 3; n++)
        {
            var (expected, _) = OnnxTestGraph.RunOrt(g.ToBytes(), input[(n * 18)..((n + 1) * 18)], [1, 2, 3, 3]);
            AssertClose(ours[n].data<float>().ToArray(), expected);
        }
    }

    [Fact]
    public void ShapeGatherConcatReshape_PyTorchFlattenExport_MatchesOrt()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 2, 3, 2).Output("y")
            .Longs("zero", [0]).Longs("axes", [0], 1).Longs("minus1", [-1], 1)
            .Node("Shape", ["x"], ["shape"])
            .Node("Gather", ["shape", "zero"], ["n0"], ("axis", 0L))
            .Node("Cast", ["n0"], ["nf"], ("to", 1L))
            .Node("Cast", ["nf"], ["n"], ("to", 7L))
            .Node("Unsqueeze", ["n", "axes"], ["n1"])
            .Node("Concat", ["n1", "minus1"], ["target"], ("axis", 0L))
            .Node("Reshape", ["x", "target"], ["y"]);
        AssertMatchesOrt(g, [3, 2, 3, 2]);
    }

    [Fact]
    public void ConstantDropoutIdentity_MatchOrt()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 2, 3).Output("y")
            .Node("Constant", [], ["target"], ("value_ints", new long[] { 0, 6 }))
            .Node("Constant", [], ["half"], ("value_float", 0.5f))
            .Node("Reshape", ["x", "target"], ["r"])
            .Node("Dropout", ["r"], ["d"])
            .Node("Mul", ["d", "half"], ["m"])
            .Node("Identity", ["m"], ["y"]);
        AssertMatchesOrt(g, [4, 2, 3]);
    }

    [Fact]
    public void Activations_ClipAttributeForm_MatchOrt()
    {
        var g = new OnnxTestGraph(8).Input("x", null, 6).Output("y")
            .Node("Clip", ["x"], ["a"], ("min", -0.5f), ("max", 0.7f))
            .Node("LeakyRelu", ["x"], ["b"], ("alpha", 0.1f))
            .Node("HardSigmoid", ["x"], ["c"], ("alpha", 0.3f), ("beta", 0.4f))
            .Node("Sigmoid", ["x"], ["d"])
            .Node("Tanh", ["x"], ["e"])
            .Node("Sum", ["a", "b", "c", "d", "e"], ["y"]);
        AssertMatchesOrt(g, [3, 6], (-3f, 3f));
    }

    [Fact]
    public void Activations_ClipInputForm_HardSwish_MatchOrt()
    {
        var g = new OnnxTestGraph(14).Input("x", null, 6).Output("y")
            .Floats("lo", [-0.5f]).Floats("hi", [0.7f])
            .Node("Clip", ["x", "lo", "hi"], ["a"])
            .Node("Clip", ["x", string.Empty, "hi"], ["b"])
            .Node("HardSwish", ["x"], ["c"])
            .Node("Sum", ["a", "b", "c"], ["y"]);
        AssertMatchesOrt(g, [3, 6], (-5f, 5f));
    }

    [Theory]
    [InlineData(11L)]
    [InlineData(13L)]
    public void SqueezeUnsqueeze_AttributeAndInputForms_MatchOrt(long opset)
    {
        var g = new OnnxTestGraph(opset).Input("x", null, 1, 4, 1).Output("y");
        if (opset < 13)
        {
            g.Node("Squeeze", ["x"], ["s"], ("axes", new long[] { 1, -1 })).Node("Unsqueeze", ["s"], ["y"], ("axes", new long[] { -1, 1 }));
        }
        else
        {
            g.Longs("sq", [1, -1], 2).Longs("un", [-1, 1], 2).Node("Squeeze", ["x", "sq"], ["s"]).Node("Unsqueeze", ["s", "un"], ["y"]);
        }

        AssertMatchesOrt(g, [2, 1, 4, 1]);
    }

    [Theory]
    [InlineData(11L)]
    [InlineData(13L)]
    public void Softmax_OldAndNewAxisSemantics_MatchOrt(long opset)
    {
        var g = new OnnxTestGraph(opset).Input("x", null, 3, 4).Output("y").Node("Softmax", ["x"], ["y"], ("axis", 1L));
        AssertMatchesOrt(g, [2, 3, 4], (-3f, 3f));
    }

    [Theory]
    [InlineData(10L, "constant")]
    [InlineData(13L, "constant")]
    [InlineData(13L, "reflect")]
    [InlineData(13L, "edge")]
    public void Pad_AttributeAndInputForms_MatchOrt(long opset, string mode)
    {
        var pads = new long[] { 0, 0, 1, 2, 0, 0, 2, 1 };
        var g = new OnnxTestGraph(opset).Input("x", null, 2, 4, 5).Output("y");
        if (opset < 11)
        {
            g.Node("Pad", ["x"], ["y"], ("pads", pads), ("mode", mode), ("value", 0.5f));
        }
        else
        {
            g.Longs("p", pads, 8).Floats("v", [0.5f]).Node("Pad", ["x", "p", "v"], ["y"], ("mode", mode));
        }

        AssertMatchesOrt(g, [2, 2, 4, 5]);
    }

    [Fact]
    public void SliceSplitConcatTranspose_MatchOrt()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 6, 5).Output("y")
            .Longs("st", [1, 4], 2).Longs("en", [5, -100], 2).Longs("ax", [1, 2], 2).Longs("sp", [-1, -2], 2)
            .Longs("split", [2, 4], 2)
            .Node("Slice", ["x", "st", "en", "ax", "sp"], ["s"])
            .Node("Split", ["x", "split"], ["a", "b"], ("axis", 1L))
            .Node("Transpose", ["b"], ["bt"], ("perm", new long[] { 0, 2, 1 }))
            .Node("Flatten", ["bt"], ["bf"])
            .Node("Flatten", ["a"], ["af"])
            .Node("Flatten", ["s"], ["sf"])
            .Node("Concat", ["sf", "af", "bf"], ["y"], ("axis", 1L));
        AssertMatchesOrt(g, [2, 6, 5]);
    }

    [Fact]
    public void ArithmeticBroadcastReduceMatMul_MatchOrt()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 3, 4, 4).Output("y")
            .Floats("c", [1f, 2f, 3f], 1, 3, 1, 1).Floats("d", [2f, -4f, 0.5f, 8f], 4).Floats("m", OnnxTestGraph.Random(12, 19), 4, 3)
            .Floats("scale", [1f, 0.5f, 2f], 3).Floats("shift", [0.1f, 0f, -0.2f], 3).Floats("mean", [0.3f, -0.1f, 0f], 3).Floats("var", [1.5f, 0.5f, 2f], 3)
            .Node("BatchNormalization", ["x", "scale", "shift", "mean", "var"], ["bn"], ("epsilon", 1e-3f))
            .Node("Sub", ["bn", "c"], ["a"])
            .Node("Div", ["a", "d"], ["b"])
            .Node("Mul", ["b", "c"], ["e"])
            .Node("Add", ["e", "x"], ["f"])
            .Node("MatMul", ["f", "m"], ["g"])
            .Node("ReduceMean", ["g"], ["h"], ("axes", new long[] { 1 }), ("keepdims", 0L))
            .Node("GlobalAveragePool", ["f"], ["p"])
            .Node("Flatten", ["p"], ["pf"])
            .Node("Flatten", ["h"], ["hf"])
            .Node("Concat", ["hf", "pf"], ["y"], ("axis", 1L));
        AssertMatchesOrt(g, [2, 3, 4, 4]);
    }

    [Fact]
    public void Forward_IntermediateTensor_IsPartOfTheAutogradGraph()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 3).Output("y").Floats("w", [1f, 2f, 3f], 1, 3)
            .Node("Relu", ["x"], ["r"])
            .Node("Gemm", ["r", "w"], ["y"], ("transB", 1L));
        using var model = OnnxModel.Load(g.Save());
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, -1f, 2f }, [1, 3]).requires_grad_(true);
        var y = model.Forward(x, "r", out var r);
        var grads = autograd.grad([y.sum()], [r, x]);
        Assert.Equal([1f, 2f, 3f], grads[0].data<float>().ToArray());
        Assert.Equal([1f, 0f, 3f], grads[1].data<float>().ToArray());   // analytic: w ⊙ 1[x>0]
        Assert.True(model.parameters().Single().requires_grad);
    }

    private static void AssertMatchesOrt(OnnxTestGraph graph, long[] shape, (float Lo, float Hi)? range = null)
    {
        var n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var (lo, hi) = range ?? (-1f, 1f);
        var input = OnnxTestGraph.Random(n, 42).Select(v => lo + ((v + 1) / 2 * (hi - lo))).ToArray();
        var (expected, expectedShape) = OnnxTestGraph.RunOrt(graph.ToBytes(), input, shape);
        using var model = OnnxModel.Load(graph.Save());
        using var scope = NewDisposeScope();
        var ours = model.Forward(tensor(input, shape));
        Assert.Equal(expectedShape, ours.shape);
        AssertClose(ours.contiguous().data<float>().ToArray(), expected);
    }

    private static void AssertClose(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + (1e-5 * Math.Abs(expected[i])), $"element {i}: {actual[i]} vs ORT {expected[i]}");
        }
    }
}

public class OnnxParameterTests
{
    [Fact]
    public void Parameters_ConvAndBatchNorm_TrainableWeightsAndStatisticBuffers()
    {
        var g = new OnnxTestGraph(13).Input("x", null, 2, 4, 4).Output("y")
            .Floats("conv.weight", OnnxTestGraph.Random(3 * 2 * 3 * 3, 1), 3, 2, 3, 3)
            .Floats("bn.weight", [1f, 2f, 3f], 3).Floats("bn.bias", [0f, 0.1f, 0.2f], 3)
            .Floats("bn.running_mean", [0.1f, 0.2f, 0.3f], 3).Floats("bn.running_var", [1f, 1f, 2f], 3)
            .Node("Conv", ["x", "conv.weight"], ["c"], ("pads", new long[] { 1, 1, 1, 1 }))
            .Node("BatchNormalization", ["c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["y"]);
        using var model = OnnxModel.Load(g.Save());
        Assert.Equal(["conv_weight", "bn_weight", "bn_bias"], model.named_parameters().Select(p => p.name).ToArray());
        Assert.Equal(["bn_running_mean", "bn_running_var"], model.named_buffers().Select(b => b.name).ToArray());

        // One training step changes the weights; the buffers stay as loaded.
        using var scope = NewDisposeScope();
        model.train();
        var optimizer = TorchSharp.torch.optim.SGD(model.parameters(), 0.1);
        var before = model.get_parameter("conv_weight")!.clone();
        var loss = model.Forward(randn(2, 2, 4, 4)).square().mean();
        loss.backward();
        Assert.NotNull(model.get_parameter("conv_weight")!.grad);
        optimizer.step();
        Assert.False(before.allclose(model.get_parameter("conv_weight")!));
        Assert.Equal([0.1f, 0.2f, 0.3f], model.get_buffer("bn_running_mean")!.data<float>().ToArray());

        // requires_grad can be switched off per parameter (freezing a backbone).
        model.get_parameter("conv_weight")!.requires_grad = false;
        Assert.False(model.parameters().First().requires_grad);
    }
}
