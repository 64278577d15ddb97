using Chorus.Torch.Checkpoints;
using Chorus.Torch.Onnx;

namespace Chorus.Torch.Models;

/// <summary>
/// Which classifier to build, as named on the command line: <c>small-cnn</c>, <c>resnet18-imagenet</c> (the
/// ImageNet ONNX ResNet-18 shipped with the build), <c>onnx:FILE</c> (any ONNX classifier or feature extractor),
/// or <c>resnet18</c>, <c>resnet34</c>, <c>resnet50</c> (TorchVision architectures, random init unless
/// <paramref name="Weights"/> names a PyTorch state_dict).
/// </summary>
/// <param name="Name">The backbone name (see above).</param>
/// <param name="FeaturesTensor">For <c>onnx:FILE</c>: cut the graph at this tensor (<see cref="OnnxLoadOptions.FeaturesTensor"/>).</param>
/// <param name="TrainStages">Trained backbone stages counted from the output side (0: head only); <c>null</c>: all.</param>
/// <param name="Weights">For TorchVision architectures: a PyTorch state_dict (<c>.safetensors</c> or <c>.pt</c>/<c>.pth</c>) loaded into the backbone (its <c>fc.*</c> skipped).</param>
/// <param name="Preprocessing">Input conversion; <c>null</c>: the backbone's own (ImageNet RGB for TorchVision and ONNX files, BGR 0–255 for resnet18-imagenet).</param>
/// <param name="Dropout">Dropout probability p on the features the head reads, in train mode only (0 ≤ p &lt; 1; 0: none). Members trained with it can be a source of MC-dropout maps.</param>
public sealed record BackboneSpec(
    string Name = BackboneSpec.SmallCnn,
    string? FeaturesTensor = null,
    int? TrainStages = null,
    string? Weights = null,
    InputPreprocessing? Preprocessing = null,
    double Dropout = 0)
{
    /// <summary>The default backbone.</summary>
    public const string SmallCnn = "small-cnn";

    /// <summary>The ImageNet ONNX ResNet-18 (see <see cref="PretrainedModels"/>).</summary>
    public const string ResNet18ImageNet = "resnet18-imagenet";

    /// <summary>Prefix of an ONNX file backbone.</summary>
    public const string OnnxPrefix = "onnx:";

    /// <summary>Every backbone name (with <c>onnx:FILE</c> as a pattern).</summary>
    public static IReadOnlyList<string> Names { get; } = [SmallCnn, ResNet18ImageNet, "onnx:FILE", .. TorchVisionBackbone.Architectures];

    /// <summary>True for the TorchVision architectures.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsTorchVision => TorchVisionBackbone.Architectures.Contains(Name);

    /// <summary>The ONNX file of an <c>onnx:FILE</c> backbone, else <c>null</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? OnnxFile => Name.StartsWith(OnnxPrefix, StringComparison.Ordinal) ? Name[OnnxPrefix.Length..] : null;

    /// <summary>Throws <see cref="ArgumentException"/> when the name or an option does not fit.</summary>
    public void Validate()
    {
        var known = Name is SmallCnn or ResNet18ImageNet || IsTorchVision || OnnxFile is { Length: > 0 };
        if (!known)
        {
            throw new ArgumentException($"--backbone: unknown backbone '{Name}'. Known: {string.Join(", ", Names)}.");
        }

        if (FeaturesTensor is not null && OnnxFile is null && Name != ResNet18ImageNet)
        {
            throw new ArgumentException("--features-tensor applies to ONNX backbones (onnx:FILE, resnet18-imagenet) only.");
        }

        if (Weights is not null && !IsTorchVision)
        {
            throw new ArgumentException("--weights applies to the TorchVision backbones (resnet18, resnet34, resnet50) only.");
        }

        if (TrainStages is < 0)
        {
            throw new ArgumentException("--train-stages must be 0 or more (or 'all').");
        }

        if (Name == SmallCnn && TrainStages is > 4)
        {
            throw new ArgumentException("--train-stages: small-cnn has 4 blocks; train 0–4 of them (or all).");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException(FormattableString.Invariant($"--dropout must be at least 0 and below 1 (got {Dropout})."));
        }
    }

    /// <summary>
    /// A stable description recorded in checkpoints and fingerprints: <c>small-cnn</c>, <c>small-cnn[dropout=0.2]</c>,
    /// <c>resnet18[stages=1;…;pre=default]</c>, <c>resnet18[stages=1;…;pre=default;dropout=0.2]</c>. Without dropout it is
    /// what it was before the option existed, so older run folders still resume.
    /// </summary>
    public string Describe() => Name == SmallCnn
        ? string.Join(';', new[] { TrainStages is { } stages ? FormattableString.Invariant($"stages={stages}") : "", DropoutTag }.Where(t => t.Length > 0)) is { Length: > 0 } tags ? $"{SmallCnn}[{tags}]" : SmallCnn
        : FormattableString.Invariant($"{Name}[stages={(TrainStages?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all")};features={FeaturesTensor ?? "-"};weights={(Weights is null ? "-" : Path.GetFileName(Weights))};pre={Preprocessing?.ToString() ?? "default"}{(Dropout > 0 ? ";" + DropoutTag : "")}]");

    /// <summary>
    /// <c>dropout=P</c> (round-trip formatting) when <see cref="Dropout"/> is above 0, else empty: the part of a description
    /// that dropout adds.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string DropoutTag => Dropout > 0 ? FormattableString.Invariant($"dropout={Dropout:R}") : "";

    /// <summary>
    /// The classifier a shared pre-training trains before members freeze their trunk: <see cref="Create"/>'s architecture
    /// and parameter names, with every stage trainable (the learnt trunk is then loaded into the members' frozen one).
    /// </summary>
    public IClassifier CreateAllTrainable(int numClasses, int[]? smallCnnWidths = null)
    {
        Validate();
        return Name == SmallCnn && TrainStages is not null
            ? new BackboneClassifier(new SmallCnnBackbone(smallCnnWidths), numClasses, Preprocessing ?? InputPreprocessing.None, trainStages: null, Dropout)
            : (this with { TrainStages = null }).Create(numClasses, smallCnnWidths);
    }

    /// <summary>
    /// Builds a fresh classifier for <paramref name="numClasses"/> classes. Random parts (SmallCnn, TorchVision
    /// weights without <see cref="Weights"/>, heads) draw from the global generator, so seed it first.
    /// </summary>
    /// <param name="numClasses">K.</param>
    /// <param name="smallCnnWidths">Widths of the SmallCnn blocks (small-cnn only).</param>
    public IClassifier Create(int numClasses, int[]? smallCnnWidths = null)
    {
        Validate();
        if (Name == SmallCnn)
        {
            // With trained stages, the same network as a backbone that freezes its first blocks and splits after them.
            return TrainStages is null
                ? new SmallCnn(numClasses, widths: smallCnnWidths, dropout: Dropout)
                : new BackboneClassifier(new SmallCnnBackbone(smallCnnWidths), numClasses, Preprocessing ?? InputPreprocessing.None, TrainStages, Dropout);
        }

        IFeatureBackbone backbone;
        InputPreprocessing preprocessing;
        if (IsTorchVision)
        {
            var tv = TorchVisionBackbone.Create(Name);
            try
            {
                if (Weights is not null)
                {
                    PyTorchWeights.LoadInto(tv.Module, PyTorchWeights.Read(Weights), skipPrefixes: ["fc."]);
                }
            }
            catch
            {
                tv.Dispose();
                throw;
            }

            backbone = tv;
            preprocessing = InputPreprocessing.ImageNetRgb;
        }
        else if (Name == ResNet18ImageNet)
        {
            backbone = OnnxFeatureBackbone.Load(PretrainedModels.ResNet18ImageNetPath(), new OnnxLoadOptions(FeaturesTensor, AnyImageSize: true));
            preprocessing = InputPreprocessing.Bgr255MeanSubtracted;
        }
        else
        {
            backbone = OnnxFeatureBackbone.Load(OnnxFile!, new OnnxLoadOptions(FeaturesTensor, AnyImageSize: true));
            preprocessing = InputPreprocessing.ImageNetRgb;
        }

        try
        {
            return new BackboneClassifier(backbone, numClasses, Preprocessing ?? preprocessing, TrainStages, Dropout);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }
}
