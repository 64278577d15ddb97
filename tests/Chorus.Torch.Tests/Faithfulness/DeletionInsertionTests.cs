using Chorus.Explanations;
using Chorus.Torch.Faithfulness;
using Chorus.Torch.Tests.TestModels;
using TorchSharp;
using static Chorus.Torch.Tests.Attribution.AttributionTestKit;
using static TorchSharp.torch;

namespace Chorus.Torch.Tests.Faithfulness;

public class DeletionInsertionTests
{
    private const int C = 3;
    private const int H = 8;
    private const int W = 8;

    [Fact]
    public void Compute_TrueRelevanceOnLinearModel_DeletesFasterAndInsertsFasterThanRandomAndReversed()
    {
        // Given: logit_t = Σ w_t·x + b, zero baselines, so pixel p contributes exactly Σ_c w_t⊙x at p.
        using var model = new LinearClassifier(C, H, W, 3, seed: 11);
        using var x = Randn(21, 2, C, H, W);
        using var t = Targets(0, 2);
        var truth = TrueRelevance(model, x, [0, 2]);
        var reversed = truth.Select(m => new SaliencyMap(H, W, m.Values.Select(v => -v).ToArray())).ToList();
        var random = RandomMaps(2, seed: 3);
        var options = new FaithfulnessOptions(Steps: 16, DeletionBaseline: FaithfulnessBaseline.Zeros,
            InsertionBaseline: FaithfulnessBaseline.Zeros, Score: FaithfulnessScore.Logit);

        // When
        var best = DeletionInsertion.Compute(model, x, t, truth, options);
        var rev = DeletionInsertion.Compute(model, x, t, reversed, options);
        var rnd = DeletionInsertion.Compute(model, x, t, random, options);

        // Then: greedy removal of the largest contributions is pointwise optimal
        for (var i = 0; i < 2; i++)
        {
            Assert.True(best[i].DeletionAuc < rnd[i].DeletionAuc, $"image {i}: deletion {best[i].DeletionAuc} vs random {rnd[i].DeletionAuc}");
            Assert.True(best[i].DeletionAuc < rev[i].DeletionAuc, $"image {i}: deletion {best[i].DeletionAuc} vs reversed {rev[i].DeletionAuc}");
            Assert.True(best[i].InsertionAuc > rnd[i].InsertionAuc, $"image {i}: insertion {best[i].InsertionAuc} vs random {rnd[i].InsertionAuc}");
            Assert.True(best[i].InsertionAuc > rev[i].InsertionAuc, $"image {i}: insertion {best[i].InsertionAuc} vs reversed {rev[i].InsertionAuc}");
            for (var k = 0; k < best[i].Deletion.Count; k++)
            {
                Assert.True(best[i].Deletion[k] <= rnd[i].Deletion[k] + 1e-4, $"image {i} step {k}");
                Assert.True(best[i].Insertion[k] >= rnd[i].Insertion[k] - 1e-4, $"image {i} step {k}");
            }
        }
    }

    [Fact]
    public void Compute_TrueRelevanceWithProbabilityAndRiseBaselines_StillBeatsReversed()
    {
        using var model = new LinearClassifier(C, H, W, 3, seed: 12);
        using var x = Randn(22, 2, C, H, W);
        using var t = Targets(1, 0);
        var truth = TrueRelevance(model, x, [1, 0]);
        var reversed = truth.Select(m => new SaliencyMap(H, W, m.Values.Select(v => -v).ToArray())).ToList();

        var best = DeletionInsertion.Compute(model, x, t, truth, new FaithfulnessOptions(Steps: 16));
        var rev = DeletionInsertion.Compute(model, x, t, reversed, new FaithfulnessOptions(Steps: 16));

        for (var i = 0; i < 2; i++)
        {
            Assert.True(best[i].DeletionAuc < rev[i].DeletionAuc);
            Assert.True(best[i].InsertionAuc > rev[i].InsertionAuc);
        }
    }

    [Fact]
    public void Compute_CurveEndpoints_AreModelOutputOnImageAndOnBaselines()
    {
        // Given
        using var model = new TinyCnn(C, 4, seed: 5);
        using var x = Randn(23, 3, C, H, W);
        using var t = Targets(0, 3, 1);
        var options = new FaithfulnessOptions(Steps: 10, DeletionBaseline: FaithfulnessBaseline.Mean, InsertionBaseline: FaithfulnessBaseline.Blur(3));

        // When
        var curves = DeletionInsertion.Compute(model, x, t, RandomMaps(3, seed: 9), options);

        // Then
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var full = Values(model.Forward(x).softmax(1).gather(1, t.unsqueeze(1)).squeeze(1));
        var deleted = Values(model.Forward(x.mean([2, 3], keepdim: true).expand_as(x)).softmax(1).gather(1, t.unsqueeze(1)).squeeze(1));
        var blurred = Values(model.Forward(nn.functional.avg_pool2d(x, 3, stride: 1, padding: 1, count_include_pad: false)).softmax(1).gather(1, t.unsqueeze(1)).squeeze(1));
        for (var i = 0; i < 3; i++)
        {
            var c = curves[i];
            Assert.Equal(full[i], c.Deletion[0], 5);
            Assert.Equal(deleted[i], c.Deletion[^1], 5);
            Assert.Equal(blurred[i], c.Insertion[0], 5);
            Assert.Equal(full[i], c.Insertion[^1], 5);
            Assert.Equal(0.0, c.Fractions[0]);
            Assert.Equal(1.0, c.Fractions[^1]);
        }
    }

    [Fact]
    public void Compute_BatchSize1And64_GiveIdenticalCurves()
    {
        using var model = new TinyCnn(C, 4, seed: 6);
        using var x = Randn(24, 3, C, H, W);
        using var t = Targets(2, 0, 1);
        var maps = RandomMaps(3, seed: 4);

        var one = DeletionInsertion.Compute(model, x, t, maps, new FaithfulnessOptions(Steps: 8, BatchSize: 1));
        var many = DeletionInsertion.Compute(model, x, t, maps, new FaithfulnessOptions(Steps: 8, BatchSize: 64));
        var odd = DeletionInsertion.Compute(model, x, t, maps, new FaithfulnessOptions(Steps: 8, BatchSize: 7));

        AssertSameCurves(one, many);
        AssertSameCurves(one, odd);
    }

    [Fact]
    public void Compute_ManyImagesAtOnce_EqualsOneAtATime()
    {
        using var model = new TinyCnn(C, 4, seed: 8);
        using var x = Randn(25, 3, C, H, W);
        using var t = Targets(3, 1, 0);
        var maps = RandomMaps(3, seed: 5);
        var options = new FaithfulnessOptions(Steps: 8, BatchSize: 10);

        var all = DeletionInsertion.Compute(model, x, t, maps, options);
        var single = new List<FaithfulnessCurves>();
        for (var i = 0; i < 3; i++)
        {
            using var xi = x.narrow(0, i, 1);
            using var ti = t.narrow(0, i, 1);
            single.Add(DeletionInsertion.Compute(model, xi, ti, [maps[i]], options)[0]);
        }

        AssertSameCurves(all, single);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.37)]
    [InlineData(-2.5)]
    public void Auc_ConstantCurve_EqualsTheConstant(double c)
    {
        double[] fractions = [0, 0.1, 0.25, 0.5, 0.9, 1];
        Assert.Equal(c, DeletionInsertion.Auc(fractions, fractions.Select(_ => c).ToArray()), 12);
    }

    [Fact]
    public void Auc_Line_IsHalf()
    {
        Assert.Equal(0.5, DeletionInsertion.Auc([0, 0.5, 1], [0, 0.5, 1]), 12);
    }

    [Fact]
    public void Compute_DefaultSteps_Gives50StepsAndUnevenPixelsPerStepEndsAtOne()
    {
        using var model = new LinearClassifier(1, 10, 10, 2);
        using var x = Randn(26, 1, 1, 10, 10);
        using var t = Targets(1);
        var maps = RandomMaps(1, seed: 1, h: 10, w: 10);

        var byDefault = DeletionInsertion.Compute(model, x, t, maps)[0];
        var uneven = DeletionInsertion.Compute(model, x, t, maps, new FaithfulnessOptions(PixelsPerStep: 30))[0];

        Assert.Equal(51, byDefault.Deletion.Count);
        Assert.Equal(0.02, byDefault.Fractions[1], 12);
        Assert.Equal([0, 0.3, 0.6, 0.9, 1.0], uneven.Fractions.ToArray());
    }

    [Fact]
    public void Ranks_TiesBrokenByPixelIndex()
    {
        var ranks = DeletionInsertion.Ranks([new SaliencyMap(2, 2, [1f, 3f, 3f, 0f])], 1, 2, 2);
        Assert.Equal([2, 0, 1, 3], ranks);
    }

    [Fact]
    public void Compute_ConstantMap_DeletesInRowMajorOrder()
    {
        // A constant map deletes pixel 0 first: on a model that reads pixel 0 only, the first deletion step zeroes the logit.
        using var model = new LinearClassifier(1, 2, 2, 1);
        using (torch.no_grad())
        {
            model.Weight.copy_(torch.tensor(new float[] { 1, 0, 0, 0 }).reshape(1, 4));
            model.Bias.zero_();
        }

        using var x = torch.ones(1, 1, 2, 2);
        using var t = Targets(0);
        var c = DeletionInsertion.Compute(model, x, t, [new SaliencyMap(2, 2, [0f, 0f, 0f, 0f])],
            new FaithfulnessOptions(PixelsPerStep: 1, Score: FaithfulnessScore.Logit))[0];
        Assert.Equal([1.0, 0, 0, 0, 0], c.Deletion.ToArray());
    }

    internal static List<SaliencyMap> TrueRelevance(LinearClassifier model, Tensor x, long[] targets)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var maps = new List<SaliencyMap>();
        for (var i = 0; i < targets.Length; i++)
        {
            var w = model.Weight.detach().select(0, targets[i]).reshape(x.shape[1], x.shape[2], x.shape[3]);
            var r = (w * x.select(0, i)).sum([0L]);
            maps.Add(new SaliencyMap((int)x.shape[2], (int)x.shape[3], Values(r)));
        }

        return maps;
    }

    internal static List<SaliencyMap> RandomMaps(int n, int seed, int h = H, int w = W)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => new SaliencyMap(h, w, Enumerable.Range(0, h * w).Select(_ => (float)rng.NextDouble()).ToArray())).ToList();
    }

    /// <summary>
    /// Same curves up to 1e-6: libtorch's float32 conv is not bitwise batch-invariant (a chunk of 1 and of 64 differ in the
    /// last ulp, ~3e-8), so "identical" means identical up to float32 rounding of the model, not of this code.
    /// </summary>
    private static void AssertSameCurves(IReadOnlyList<FaithfulnessCurves> a, IReadOnlyList<FaithfulnessCurves> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Fractions, b[i].Fractions);
            Assert.Equal(a[i].Deletion.Count, b[i].Deletion.Count);
            for (var k = 0; k < a[i].Deletion.Count; k++)
            {
                Assert.Equal(a[i].Deletion[k], b[i].Deletion[k], 1e-6);
                Assert.Equal(a[i].Insertion[k], b[i].Insertion[k], 1e-6);
            }

            Assert.Equal(a[i].DeletionAuc, b[i].DeletionAuc, 1e-6);
            Assert.Equal(a[i].InsertionAuc, b[i].InsertionAuc, 1e-6);
        }
    }
}
