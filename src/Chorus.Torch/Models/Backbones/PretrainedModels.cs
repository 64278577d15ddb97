using Chorus.Torch.Onnx;

namespace Chorus.Torch.Models;

/// <summary>Pretrained ONNX models the build copies beside every assembly that references Chorus.Torch.</summary>
public static class PretrainedModels
{
    /// <summary>File name of the ImageNet ResNet-18 under the output's <c>models/</c> folder.</summary>
    public const string ResNet18ImageNetFile = "resnet18-imagenet.onnx";

    /// <summary>
    /// Path of the ImageNet ResNet-18 feature extractor (CNTK export from NuGet package
    /// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1; opset 8; input [1,3,224,224] BGR 0–255 minus the
    /// ImageNet mean, see <see cref="ImageNetPreprocessing.ResNet18Input"/>; output 512 pooled features).
    /// </summary>
    /// <exception cref="FileNotFoundException">The build did not copy the model (package not restored).</exception>
    public static string ResNet18ImageNetPath()
    {
        var candidates = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(PretrainedModels).Assembly.Location) }
            .Where(d => !string.IsNullOrEmpty(d))
            .Select(d => Path.Combine(d!, "models", ResNet18ImageNetFile))
            .Distinct()
            .ToArray();
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"Pretrained ResNet-18 not found (looked for {string.Join(", ", candidates)}). The build copies it there from NuGet package " +
            "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, which the Chorus.Torch package downloads at restore (no ML.NET assembly is " +
            "referenced): build once more, or add <PackageDownload Include=\"Microsoft.ML.DnnImageFeaturizer.ResNet18\" Version=\"[0.23.1]\" /> " +
            "to your project to have it from the first build. The chorus tool carries it.",
            candidates[0]);
    }

    /// <summary>
    /// Loads the ImageNet ResNet-18 (<see cref="ResNet18ImageNetPath"/>). Its output is [N,512,1,1] pooled
    /// features unless <paramref name="options"/> flattens it or cuts the graph elsewhere. The file fixes
    /// its padding and its final 7×7 pooling for 224×224; by default (<paramref name="options"/> <c>null</c>)
    /// it loads with <see cref="OnnxLoadOptions.AnyImageSize"/>, so other sizes (e.g. 112, 160) work too.
    /// </summary>
    public static OnnxModel LoadResNet18ImageNet(OnnxLoadOptions? options = null) =>
        OnnxModel.Load(ResNet18ImageNetPath(), options ?? new OnnxLoadOptions(AnyImageSize: true));
}
