using Chorus.Ensembles;
using Chorus.Explanations;
using Chorus.Metrics;
using Chorus.Torch.Attribution;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Samples;

/// <summary>Chorus from C#: three members sharing a backbone, two methods, the averaged map scored against a mask.</summary>
public static class QuickStart
{
    /// <param name="args">[ONNX backbone file (default: the ImageNet ResNet-18 Chorus ships), image size (default 224)]</param>
    public static void Main(string[] args)
    {
        var backbone = args.Length > 0 ? BackboneSpec.OnnxPrefix + args[0] : BackboneSpec.ResNet18ImageNet;
        var size = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 224;
        const int Classes = 5, Images = 2;
        using var scope = NewDisposeScope();

        // Three members: one pretrained backbone, each with its own randomly initialised head (the study trains them
        // with Chorus.Torch.Training.EnsembleTrainer; here they are used as initialised).
        var members = new List<IClassifier>();
        for (var m = 0; m < 3; m++)
        {
            var member = new BackboneSpec(backbone).Create(Classes);
            ((IResettableHead)member).ResetHead(new Generator((ulong)m));
            member.Module.eval();
            members.Add(member);
        }

        // A batch of RGB images in [0, 1], [N,3,H,W], their target classes, and the region of interest: a 0/1 mask of
        // the same size (here the centre quarter of the image).
        var images = rand([Images, 3, size, size], generator: new Generator(42));
        var targets = tensor(new long[] { 1, 3 });
        var mask = new float[size * size];
        for (var y = size / 4; y < 3 * size / 4; y++)
        {
            for (var x = size / 4; x < 3 * size / 4; x++)
            {
                mask[(y * size) + x] = 1;
            }
        }

        var roi = new SaliencyMap(size, size, mask);
        var metric = MetricRegistry.Create("pearson");

        // Explain with two methods; average the members' maps per pixel (Ens-Avg) and compare with the members' own
        // scores averaged (Exp-Avg).
        IAttributionMethod[] methods = [new Saliency(), new IntegratedGradients(new IntegratedGradientsOptions { Steps = 16 })];
        foreach (var method in methods)
        {
            var maps = members.Select(model => SaliencyMaps.ToMaps(method.Attribute(model, images, targets), MapReduction.SumAbs)).ToList();
            for (var i = 0; i < Images; i++)
            {
                var perMember = maps.Select(m => m[i]).ToList();
                var ensAvg = metric.Compute(EnsembleAggregator.Mean.Aggregate(perMember), roi);
                var expAvg = perMember.Average(m => metric.Compute(m, roi));
                Console.WriteLine($"{method.Name,-22} image {i}: Pearson r with the mask, Ens-Avg {ensAvg:F3}, Exp-Avg {expAvg:F3}");
            }
        }

        foreach (var member in members)
        {
            member.Dispose();
        }
    }
}
