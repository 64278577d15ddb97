using Chorus.Torch.Attribution;
using Chorus.Torch.Explaining;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Explaining;

[Collection("Sequential")]
public class SharedTrunkExplainerTests
{
    private const int Classes = 5;

    // Members as --train-stages 1 makes them on the ImageNet ResNet-18: stem and layer1-layer3 frozen and identical, layer4
    // and the head different per member (layer4 perturbed and the head re-initialised from the member's seed).
    internal static List<BackboneClassifier> Members(int count, int trainStages = 1)
    {
        var members = new List<BackboneClassifier>();
        for (var m = 0; m < count; m++)
        {
            var model = (BackboneClassifier)new BackboneSpec(BackboneSpec.ResNet18ImageNet, TrainStages: trainStages).Create(Classes);
            using var generator = new Generator((ulong)(100 + m));
            model.ResetHead(generator);
            var trained = model.Backbone.Stages.TakeLast(trainStages).SelectMany(s => s).ToHashSet(StringComparer.Ordinal);
            using (no_grad())
            {
                foreach (var (name, p) in model.Backbone.Module.named_parameters().Where(p => trained.Contains(p.name)))
                {
                    using var scope = NewDisposeScope();
                    p.add_(randn(p.shape, generator: generator) * (0.2 * p.std().item<float>()));
                }
            }

            model.eval();
            members.Add(model);
        }

        return members;
    }

    private static Tensor Mean(IEnumerable<BackboneClassifier> members, Func<IClassifier, Tensor> attribute)
    {
        using var scope = NewDisposeScope();
        var all = members.Select(m => attribute(m)).ToList();
        return torch.stack(all).mean([0]).MoveToOuterDisposeScope();
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = expected.abs().max().item<float>();
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(scale > 0, $"{what}: the reference is all zeros");
        Assert.True(diff <= 1e-5f * scale, $"{what}: max |difference| {diff:G3} against max |value| {scale:G3} (relative {diff / scale:G3})");
    }

    public static TheoryData<MemoryLayout, long[]> Cases => new()
    {
        { MemoryLayout.Contiguous, [0, 2, 4] },
        { MemoryLayout.Contiguous, [3, 3, 1] },
        { MemoryLayout.ChannelsLast, [1, 0, 2] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SignedSaliency_InputXGradient_IntegratedGradients_EqualTheMeanOfTheMembers(MemoryLayout layout, long[] targets)
    {
        // Given: three members sharing the frozen stem + layer1-layer3, each with its own layer4 and head
        torch.manual_seed(7);
        var members = Members(3);
        try
        {
            using var scope = NewDisposeScope();
            var x = rand(3, 3, 32, 32);
            var t = tensor(targets);
            var ig = new IntegratedGradientsOptions(Steps: 7, InternalBatchSize: 7);  // 2 steps per chunk of 3 images: 4 chunks
            var explainer = new SharedTrunkExplainer(members, layout);

            // When
            var gradient = explainer.Gradient(x, t);
            var ixg = explainer.InputXGradient(x, t);
            var integrated = explainer.IntegratedGradients(x, t, ig);

            // Then: equal to the mean of what the existing methods give member by member
            AssertClose(Mean(members, m => new LayoutAttribution(new Saliency(new SaliencyOptions(Abs: false)), layout).Attribute(m, x, t)), gradient, "signed saliency");
            AssertClose(Mean(members, m => new LayoutAttribution(new InputXGradient(), layout).Attribute(m, x, t)), ixg, "input x gradient");
            AssertClose(Mean(members, m => new LayoutAttribution(new IntegratedGradients(ig), layout).Attribute(m, x, t)), integrated, "integrated gradients");

            // ... and the members really differ (otherwise the test would prove nothing)
            var g0 = new Saliency(new SaliencyOptions(Abs: false)).Attribute(members[0], x, t);
            var g1 = new Saliency(new SaliencyOptions(Abs: false)).Attribute(members[1], x, t);
            Assert.True((g0 - g1).abs().max().item<float>() > 0.1f * g0.abs().max().item<float>());
            Assert.True(gradient.is_contiguous());
        }
        finally
        {
            members.ForEach(m => m.Dispose());
        }
    }

    [Theory]
    [InlineData(MemoryLayout.Contiguous)]
    [InlineData(MemoryLayout.ChannelsLast)]
    public void EveryMethod_LeavesOnlyTheResult_AndTheMembersAsTheyWere(MemoryLayout layout)
    {
        // Given
        var members = Members(2);
        try
        {
            using var x = rand(2, 3, 32, 32);
            using var t = tensor(new long[] { 0, 3 });
            var before = members.Select(m => m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone())).ToList();
            var explainer = new SharedTrunkExplainer(members, layout);
            explainer.Gradient(x, t).Dispose();  // the numerics model check, once per size and layout
            var ig = new IntegratedGradientsOptions(Steps: 3, InternalBatchSize: 2);

            foreach (var run in new Func<Tensor>[] { () => explainer.Gradient(x, t), () => explainer.InputXGradient(x, t), () => explainer.IntegratedGradients(x, t, ig) })
            {
                // When
                DisposeScopeManager.Statistics.Reset();
                var result = run();
                var liveWithResult = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                result.Dispose();

                // Then
                Assert.Equal(1, liveWithResult);
                Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }

            for (var m = 0; m < members.Count; m++)
            {
                foreach (var (name, value) in members[m].state_dict())
                {
                    Assert.True(value.is_contiguous(), $"member {m} {name} was not given back in NCHW order");
                    Assert.True(value.equal(before[m][name]).all().item<bool>(), $"member {m} {name} changed");
                    before[m][name].Dispose();
                }
            }
        }
        finally
        {
            members.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void AbsoluteSaliency_IsNotTheMeanOfAbsoluteMaps_SoOnlyTheSignedGradientIsOffered()
    {
        // Given
        torch.manual_seed(8);
        var members = Members(3);
        try
        {
            using var scope = NewDisposeScope();
            var x = rand(2, 3, 32, 32);
            var t = tensor(new long[] { 1, 4 });

            // When
            var absOfMean = new SharedTrunkExplainer(members, MemoryLayout.Contiguous).Gradient(x, t).abs();
            var meanOfAbs = Mean(members, m => new Saliency().Attribute(m, x, t));

            // Then: |mean| ≤ mean |·| everywhere, and strictly somewhere: Captum's default Saliency does not average through the trunk
            Assert.True((absOfMean - meanOfAbs).max().item<float>() <= 1e-5f * meanOfAbs.max().item<float>());
            Assert.True((meanOfAbs - absOfMean).max().item<float>() > 0.01f * meanOfAbs.max().item<float>());
        }
        finally
        {
            members.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void MembersWhoseTrunksDiffer_AreRefused_NamingTheMemberAndTheTensor()
    {
        // Given: member 2's trunk (a layer1 weight) nudged
        var members = Members(3);
        try
        {
            var (name, weight) = members[2].TrunkState().First(s => s.Value.dim() == 4);
            using (no_grad())
            {
                weight.view(-1)[0].add_(1e-4f);
            }

            // When
            var error = Assert.Throws<ArgumentException>(() => new SharedTrunkExplainer(members));

            // Then
            Assert.Equal("members", error.ParamName);
            Assert.Contains("Member 2 does not share member 0's trunk", error.Message, StringComparison.Ordinal);
            Assert.Contains($"'{name}' differs", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            members.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void MembersWithOtherFrozenStages_OrNoTrunk_AreRefused()
    {
        var one = Members(1, trainStages: 1);
        var two = Members(1, trainStages: 2);
        using var all = (BackboneClassifier)new BackboneSpec(BackboneSpec.ResNet18ImageNet).Create(Classes);
        try
        {
            var cut = Assert.Throws<ArgumentException>(() => new SharedTrunkExplainer([one[0], two[0]]));
            Assert.Contains("Member 1 does not share member 0's trunk: its trunk ends at", cut.Message, StringComparison.Ordinal);

            var none = Assert.Throws<ArgumentException>(() => new SharedTrunkExplainer([one[0], all]));
            Assert.Contains("Member 1 has no frozen trunk", none.Message, StringComparison.Ordinal);

            Assert.Throws<ArgumentException>(() => new SharedTrunkExplainer([]));
            var adaptive = new IntegratedGradientsOptions { Tolerance = 0.1 };
            using var x = rand(1, 3, 32, 32);
            using var t = tensor(new long[] { 0 });
            Assert.Throws<ArgumentException>(() => new SharedTrunkExplainer(one).IntegratedGradients(x, t, adaptive));
        }
        finally
        {
            one[0].Dispose();
            two[0].Dispose();
        }
    }

    [Fact]
    public void TrunkState_IsTheFrozenStagesParametersAndStatistics_NotTheTrainedOnes()
    {
        var members = Members(1);
        try
        {
            var names = members[0].TrunkState().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            var stages = members[0].Backbone.Stages;
            Assert.Superset(stages.Take(stages.Count - 1).SelectMany(s => s).ToHashSet(StringComparer.Ordinal), names);
            Assert.DoesNotContain(stages[^1], names.Contains);
            Assert.True(names.Count > stages.Take(stages.Count - 1).Sum(s => s.Count), "BatchNorm statistics (buffers) belong to the trunk too");
        }
        finally
        {
            members.ForEach(m => m.Dispose());
        }
    }
}
